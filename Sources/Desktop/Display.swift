import Imaging

/// A pointer button as X numbers them.
public enum MouseButton: Int, Sendable, CaseIterable {
    case left = 1, middle = 2, right = 3
}

/// Wheel direction; X reports wheels as buttons 4–7.
public enum ScrollDirection: Int, Sendable {
    case up = 4, down = 5, left = 6, right = 7
}

/// A screen position in pixels from the top-left corner.
public struct ScreenPoint: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
    public var description: String { "(\(x), \(y))" }
}

/// A top-level window as the X server knows it.
public struct WindowInfo: Hashable, Sendable {
    /// The client's window (inside the frame when a window manager reparented it).
    public var id: UInt
    /// Position and size in root (screen) coordinates.
    public var frame: PixelRect
    /// `_NET_WM_NAME` (UTF-8), else `WM_NAME`.
    public var title: String?
    /// `WM_CLASS`: the instance and the class name.
    public var instanceName: String?
    public var className: String?
    /// The process that owns the window's X client, from the X-Resource extension (the server's
    /// view of the socket peer), not the `_NET_WM_PID` property a client may set to anything.
    public var pid: Int32?
    /// `/proc/<pid>/exe`, where readable.
    public var executable: String?
    public var isFocused: Bool

    public init(id: UInt, frame: PixelRect, title: String?, instanceName: String?, className: String?,
                pid: Int32?, executable: String?, isFocused: Bool) {
        self.id = id
        self.frame = frame
        self.title = title
        self.instanceName = instanceName
        self.className = className
        self.pid = pid
        self.executable = executable
        self.isFocused = isFocused
    }
}

/// What the agent needs from a desktop: look, act, and know which windows are where.
/// `X11Display` is the real one; tests may substitute their own.
public protocol Display: AnyObject {
    /// The screen size in pixels.
    var screenSize: (width: Int, height: Int) { get }

    /// The whole screen as RGB8.
    func capture() throws -> Image
    /// A region of the screen; it must lie inside the screen.
    func capture(region: PixelRect) throws -> Image

    /// Where the pointer is (a drag without a start point begins here).
    func pointerPosition() throws -> ScreenPoint
    func movePointer(to point: ScreenPoint) throws
    /// Clicks `count` times (1 = click, 2 = double, 3 = triple) at `point`, or where the pointer is.
    func click(_ button: MouseButton, at point: ScreenPoint?, count: Int) throws
    /// Presses the left button at `from` (or where the pointer is), moves to `to` through
    /// intermediate positions, and releases there.
    func drag(from: ScreenPoint?, to: ScreenPoint) throws
    /// Turns the wheel `steps` notches in `direction` at `point` (or where the pointer is).
    func scroll(_ direction: ScrollDirection, steps: Int, at point: ScreenPoint?) throws
    /// Presses the keys (X keysym names or the spellings `KeyNames` accepts) in order and releases
    /// them in reverse.
    func pressChord(_ keys: [String]) throws
    /// Types any Unicode text; "\n" sends Return, "\t" Tab.
    func type(_ text: String) throws

    func windows() throws -> [WindowInfo]
    func focusedWindow() throws -> WindowInfo?
    func window(at point: ScreenPoint) throws -> WindowInfo?
}
