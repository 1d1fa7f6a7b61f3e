// What the loop needs from a display: frames, and the windows a policy talks about (`Desktop.WindowInfo`:
// the executable comes from the X server's client resources, not from anything the application sets). The command line
// adapts `Desktop` to this; tests use fakes. Pixels in, pixels out: the grid stops at `GridMapping`.

import Actions
import Desktop
#if canImport(Glibc)
import Glibc
#endif

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

/// Sends one action, in screen pixels, as input events. Returns a description of each event sent,
/// for the audit trail. Never called for `wait`, `terminate` or `answer`.
public protocol InputDriver: AnyObject {
    func perform(_ action: Action) throws -> [String]
}

/// PNG encoding and the image operations the loop needs (the command line supplies `Imaging`'s).
public protocol FrameEncoder {
    func png(_ frame: Frame) throws -> [UInt8]
    func resized(_ frame: Frame, width: Int, height: Int) throws -> Frame
    /// The frame with the action's target marked, for approval prompts.
    func annotated(_ frame: Frame, target: (x: Int, y: Int)?, window: WindowInfo?) throws -> Frame
}

/// Time, behind a protocol so that tests of settling and budgets run instantly.
public protocol Clock: Sendable {
    /// Seconds on a monotonic clock.
    func now() -> Double
    func sleep(seconds: Double) async
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    public func sleep(seconds: Double) async {
        guard seconds > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}
