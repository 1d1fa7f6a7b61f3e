import CX11
import Foundation
import Imaging

/// The real `Display`: one Xlib connection to one X server.
///
/// Not thread-safe: use one instance from one thread at a time (Xlib is not initialized for
/// threads; the agent drives the display from one task).
public final class X11Display: Display {
    /// How screenshots are taken.
    public enum CaptureMethod: String, Sendable {
        /// XShm when the server can attach our shared-memory segment, else XGetImage.
        case automatic
        /// XGetImage only (copies every pixel through the socket).
        case getImage
    }

    public let name: String
    let display: OpaquePointer
    let screen: Int32
    let root: Window
    public let screenSize: (width: Int, height: Int)
    let requestedCapture: CaptureMethod
    /// Why XShm is not used, once that is known (nil while XShm works or was not yet tried).
    public internal(set) var sharedMemoryUnavailable: String?
    var shm: SharedMemoryImage?
    let hasXTest: Bool
    let hasXRes: Bool
    /// Seconds to let clients fetch a changed keyboard mapping before it is changed again.
    public var keymapSettleDelay: Double = 0.1
    /// Separate click actions are kept at least this far apart, so that toolkits which count
    /// multi-clicks by time alone (xterm: 250 ms) do not merge a click into the one before.
    public var multiClickGap: Double = 0.3
    var lastButtonRelease: Date?
    private var closed = false

    /// Connects to `name` (default `$DISPLAY`). With `cookie`, authenticates with that
    /// MIT-MAGIC-COOKIE-1 instead of reading `$XAUTHORITY`.
    public init(name: String? = nil, cookie: [UInt8]? = nil, capture: CaptureMethod = .automatic) throws {
        let displayName = name ?? ProcessInfo.processInfo.environment["DISPLAY"] ?? ""
        guard !displayName.isEmpty else { throw DesktopError.cannotOpenDisplay(display: "(DISPLAY is not set)") }
        guard let display = X11Display.openConnection(displayName, cookie: cookie) else {
            throw DesktopError.cannotOpenDisplay(display: displayName)
        }
        self.name = displayName
        self.display = display
        screen = XDefaultScreen(display)
        root = XRootWindow(display, screen)
        screenSize = (Int(XDisplayWidth(display, screen)), Int(XDisplayHeight(display, screen)))
        requestedCapture = capture
        var a: Int32 = 0, b: Int32 = 0, c: Int32 = 0, d: Int32 = 0
        hasXTest = XTestQueryExtension(display, &a, &b, &c, &d) != 0
        hasXRes = XResQueryExtension(display, &a, &b) != 0
        if capture == .getImage { sharedMemoryUnavailable = "XGetImage was requested" }
    }

    /// Connects to a server this process started.
    public convenience init(server: XvfbServer, capture: CaptureMethod = .automatic) throws {
        try server.checkAlive()
        try self.init(name: server.displayName, cookie: server.cookie, capture: capture)
    }

    deinit { close() }

    /// Releases shared memory and closes the connection. (Keycodes bound for typing are unbound
    /// before `type` and `pressChord` return.)
    public func close() {
        guard !closed else { return }
        closed = true
        if !XErrorTrap.isLost(display) {
            shm?.release(display)
            XCloseDisplay(display)
        }
        shm = nil
        XErrorTrap.forget(display)
    }

    /// True once Xlib has reported the connection broken (server gone or socket closed).
    public var isConnectionLost: Bool { XErrorTrap.isLost(display) }

    // MARK: - Error discipline

    /// Runs `body` with X errors recorded, syncs, and throws the first error the server reported
    /// for it (or `connectionLost`). Every Xlib request in this target goes through here.
    @discardableResult
    func checked<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        guard !closed else { throw DesktopError.connectionLost(display: name, during: operation + " (closed)") }
        guard !XErrorTrap.isLost(display) else { throw DesktopError.connectionLost(display: name, during: operation) }
        _ = XErrorTrap.take(display)
        let result = try body()
        XSync(display, 0)
        if XErrorTrap.isLost(display) { throw DesktopError.connectionLost(display: name, during: operation) }
        if let e = XErrorTrap.take(display).first {
            throw DesktopError.xError(display: name, operation: operation, code: e.code, requestCode: e.requestCode,
                                      minorCode: e.minorCode, resourceID: e.resourceID, text: e.text)
        }
        return result
    }

    /// Fails with `connectionLost` when the server went away since the last request; makes a
    /// round trip, so use it where a silent no-op would mislead.
    public func ping() throws {
        try checked("ping") { XNoOp(display) }
    }

    // MARK: - Connecting

    private static let authLock = NSLock()

    /// XOpenDisplay with an explicit cookie. XSetAuthorization is process-wide, hence the lock.
    static func openConnection(_ name: String, cookie: [UInt8]?) -> OpaquePointer? {
        XErrorTrap.install()
        authLock.lock()
        defer { authLock.unlock() }
        let display: OpaquePointer?
        if var cookie {
            // XSetAuthorization copies both buffers.
            var method = Array("MIT-MAGIC-COOKIE-1".utf8CString)
            display = method.withUnsafeMutableBufferPointer { m in
                cookie.withUnsafeMutableBytes { c in
                    XSetAuthorization(m.baseAddress, Int32(m.count - 1), c.baseAddress?.assumingMemoryBound(to: CChar.self),
                                      Int32(c.count))
                    let opened = XOpenDisplay(name)
                    XSetAuthorization(nil, 0, nil, 0)
                    return opened
                }
            }
        } else {
            display = XOpenDisplay(name)
        }
        if let display { XErrorTrap.protect(display) }
        return display
    }

    func checkPoint(_ p: ScreenPoint) throws {
        guard p.x >= 0, p.y >= 0, p.x < screenSize.width, p.y < screenSize.height else {
            throw DesktopError.pointOutsideScreen(x: p.x, y: p.y, screenWidth: screenSize.width,
                                                  screenHeight: screenSize.height)
        }
    }
}
