// Sandbox's `WindowLister` over a Desktop display: the top-level windows with the executable the X
// server attributes them to (X-Resource client → pid → /proc/pid/exe), for a rehearsal's
// windows-mapped/destroyed effects.

import Desktop
import Sandbox

public struct WindowListAdapter: WindowLister {
    public let display: Display

    public init(display: Display) { self.display = display }

    public func mappedWindows() throws -> [WindowRecord] {
        try display.windows().map {
            WindowRecord(id: UInt64($0.id), wmClass: $0.className, title: $0.title, executable: $0.executable)
        }
    }
}
