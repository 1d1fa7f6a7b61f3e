// Waiting for a sandboxed application's window on a stage's display, and parking the pointer over it.
// The stages run no window manager, so X leaves the focus at PointerRoot: keys go to the window under
// the pointer. Parking the pointer is set-up of the stage (before the session and after a restart),
// not an action of the agent.

import Desktop
import Foundation

public enum StageWindow {
    /// Waits (bounded) for a mapped window whose owning executable (from the X server) is `executable`,
    /// then moves the pointer to its centre. Returns the window.
    @discardableResult
    public static func waitAndPark(on display: Display, executable: String, timeout: Double = 20) throws -> WindowInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let w = try display.windows().first(where: { $0.executable == executable && $0.frame.width > 1 && $0.frame.height > 1 }) {
                try display.movePointer(to: ScreenPoint(x: w.frame.x + w.frame.width / 2, y: w.frame.y + w.frame.height / 2))
                return w
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw AgentError.configuration("no window of \(executable) appeared within \(Int(timeout)) s")
    }
}
