import ArgumentParser
import Desktop
import Foundation

/// `understudy windows [--display :N] [--json]`: the top-level windows, top-most first.
struct WindowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "windows",
        abstract: "List top-level windows (top-most first) with geometry, class, title and owning process.",
        discussion: """
            The owning process is what the X server knows of the client's connection (X-Resource), \
            not the _NET_WM_PID property, which a client may set to anything.
            """)

    @OptionGroup var displayOption: DisplayOption

    @Flag(name: .long, help: "Print a JSON array.")
    var json = false

    @Flag(name: .long, help: "Only the window that has the keyboard focus.")
    var focused = false

    @Option(name: .long, help: "Only the top-most window at this screen point, as X,Y in pixels.")
    var at: String?

    func validate() throws {
        if let at, WindowsCommand.parsePoint(at) == nil { throw ValidationError("--at must look like X,Y (e.g. 640,400)") }
        if focused && at != nil { throw ValidationError("--focused and --at exclude each other") }
    }

    func run() throws {
        let display = try displayOption.open()
        let windows: [WindowInfo]
        if focused {
            windows = try display.focusedWindow().map { [$0] } ?? []
        } else if let point = at.flatMap(WindowsCommand.parsePoint) {
            windows = try display.window(at: point).map { [$0] } ?? []
        } else {
            windows = try display.windows()
        }
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

    static func parsePoint(_ text: String) -> ScreenPoint? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let x = parts[0], let y = parts[1] else { return nil }
        return ScreenPoint(x: x, y: y)
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
