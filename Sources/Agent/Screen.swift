// What the loop needs from a display: frames, and the windows a policy talks about (`Desktop.WindowInfo`:
// the executable comes from the X server's client resources, not from anything the application sets).
// `DisplayScreen` adapts `Desktop` to this; tests use fakes. Pixels in, pixels out: the grid stops at
// `GridMapping`.

import Desktop

/// One captured frame as packed RGB8 (`width * height * 3` bytes, top row first).
public struct Frame: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        self.width = width
        self.height = height
        self.rgb = rgb
    }
}

extension WindowInfo {
    /// One line for prompts and logs: title, class and the executable the X server reports.
    public var summary: String {
        "\"\(title ?? "")\" (\(className ?? "no class"), \(executable ?? "unknown executable"))"
    }
}

public protocol Screen: AnyObject {
    func capture() throws -> Frame
    /// The top-level window under a pixel, if any.
    func window(atX x: Int, y: Int) throws -> WindowInfo?
    func focusedWindow() throws -> WindowInfo?
    /// The pointer position, or nil when the display cannot say.
    func pointerPosition() throws -> (x: Int, y: Int)?
}
