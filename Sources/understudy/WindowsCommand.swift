import ArgumentParser
import Desktop
import Foundation

/// `understudy windows [--display :N] [--json]`: the top-level windows, top-most first.
struct WindowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "windows",
        abstract: "List top-level windows with geometry, class, title and owning process.",
        discussion: """
            The owning process is what the X server knows of the client's connection (X-Resource), \
            not the _NET_WM_PID property, which a client may set to anything.
            """)

    @OptionGroup var displayOption: DisplayOption

    @Flag(name: .long, help: "Print a JSON array.")
    var json = false

    func run() throws {
        let display = try displayOption.open()
        let windows = try display.windows()
        if json {
            try JSONOutput.print(windows.map(WindowsCommand.jsonObject))
            return
        }
        for w in windows {
            let f = w.frame
            let geometry = "\(f.width)x\(f.height)+\(f.x)+\(f.y)"
            let owner = w.pid.map { "pid \($0) \(w.executable ?? "?")" } ?? "pid ?"
            let mark = w.isFocused ? "*" : " "
            print("\(mark) 0x\(String(w.id, radix: 16))  \(geometry)  \(w.className ?? "-")  \(owner)  \"\(w.title ?? "")\"")
        }
    }

    static func jsonObject(_ w: WindowInfo) -> [String: Any] {
        [
            "id": "0x" + String(w.id, radix: 16),
            "x": w.frame.x, "y": w.frame.y, "width": w.frame.width, "height": w.frame.height,
            "title": w.title ?? NSNull(), "instance": w.instanceName ?? NSNull(), "class": w.className ?? NSNull(),
            "pid": w.pid.map { Int($0) as Any } ?? NSNull(), "executable": w.executable ?? NSNull(),
            "focused": w.isFocused,
        ]
    }
}
