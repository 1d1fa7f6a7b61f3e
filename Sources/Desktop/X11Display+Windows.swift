import CX11
import Foundation
import Imaging

/// Top-level windows, their properties, and the process that owns each.
///
/// With a window manager, each application window is reparented into a frame; the root's child
/// is then the frame and the application's own window is the descendant carrying `WM_STATE`
/// (ICCCM §4.1.3.1). Without one, the root's child is the application window itself.
extension X11Display {
    /// Mapped top-level windows, top-most first.
    public func windows() throws -> [WindowInfo] {
        let focus = try focusedClient()
        var result: [WindowInfo] = []
        for top in try rootChildren().reversed() {
            guard let info = try? describeTopLevel(top, focus: focus) else { continue } // vanished meanwhile
            result.append(info)
        }
        return result
    }

    public func focusedWindow() throws -> WindowInfo? {
        guard let client = try focusedClient() else { return nil }
        return try describeClient(client, focus: client)
    }

    /// The top-most mapped window whose frame contains `point`.
    public func window(at point: ScreenPoint) throws -> WindowInfo? {
        try checkPoint(point)
        let focus = try focusedClient()
        for top in try rootChildren().reversed() {
            guard let geometry = try? viewableGeometry(top), geometry.contains(x: point.x, y: point.y) else { continue }
            if let info = try? describeTopLevel(top, focus: focus) { return info }
        }
        return nil
    }

    // MARK: - Tree walking

    /// The root's children, bottom-most first (XQueryTree's stacking order).
    func rootChildren() throws -> [Window] {
        try children(of: root)
    }

    func children(of window: Window) throws -> [Window] {
        try checked("XQueryTree 0x\(String(window, radix: 16))") {
            var rootReturn: Window = 0, parent: Window = 0
            var list: UnsafeMutablePointer<Window>? = nil
            var count: UInt32 = 0
            guard XQueryTree(display, window, &rootReturn, &parent, &list, &count) != 0 else { return [] }
            defer { if let list { XFree(list) } }
            guard let list else { return [] }
            return Array(UnsafeBufferPointer(start: list, count: Int(count)))
        }
    }

    func parent(of window: Window) throws -> Window? {
        try checked("XQueryTree 0x\(String(window, radix: 16))") {
            var rootReturn: Window = 0, parent: Window = 0
            var list: UnsafeMutablePointer<Window>? = nil
            var count: UInt32 = 0
            guard XQueryTree(display, window, &rootReturn, &parent, &list, &count) != 0 else { return nil }
            if let list { XFree(list) }
            return parent == 0 ? nil : parent
        }
    }

    /// The geometry of a viewable InputOutput window in root coordinates, else nil.
    func viewableGeometry(_ window: Window) throws -> PixelRect? {
        try checked("XGetWindowAttributes 0x\(String(window, radix: 16))") { () -> PixelRect? in
            var a = XWindowAttributes()
            guard XGetWindowAttributes(display, window, &a) != 0 else { return nil }
            guard a.map_state == IsViewable, a.`class` == InputOutput else { return nil }
            var x: Int32 = 0, y: Int32 = 0
            var child: Window = 0
            XTranslateCoordinates(display, window, root, 0, 0, &x, &y, &child)
            return PixelRect(x: Int(x), y: Int(y), width: Int(a.width), height: Int(a.height))
        }
    }

    /// The application window inside a top-level: the first descendant (breadth first, three
    /// levels) with WM_STATE, else the top-level itself.
    func clientWindow(of top: Window) throws -> Window {
        let wmState = atom("WM_STATE")
        var level = [top]
        for _ in 0..<4 {
            var next: [Window] = []
            for w in level {
                if (try? property(w, wmState))?.isEmpty == false { return w }
                next += (try? children(of: w)) ?? []
            }
            level = next
        }
        return top
    }

    /// The top-level (root child) that holds `window`.
    func topLevel(of window: Window) throws -> Window {
        var w = window
        for _ in 0..<64 {
            guard let p = try parent(of: w) else { return w }
            if p == root { return w }
            w = p
        }
        return w
    }

    /// The application window that has the keyboard focus. With focus `PointerRoot` (the default
    /// without a window manager), keys go to the window under the pointer, so that one.
    func focusedClient() throws -> Window? {
        let (focus, _) = try checked("XGetInputFocus") { () -> (Window, Int32) in
            var focus: Window = 0
            var revert: Int32 = 0
            XGetInputFocus(display, &focus, &revert)
            return (focus, revert)
        }
        var target = focus
        if focus == 0 { return nil } // None
        if focus == 1 { // PointerRoot
            let p = try pointerPosition()
            var found: Window?
            for top in try rootChildren().reversed() {
                if let g = try? viewableGeometry(top), g.contains(x: p.x, y: p.y) { found = top; break }
            }
            guard let found else { return nil }
            target = found
        }
        if target == root { return nil }
        return try clientWindow(of: try topLevel(of: target))
    }

    func describeTopLevel(_ top: Window, focus: Window?) throws -> WindowInfo? {
        guard try viewableGeometry(top) != nil else { return nil }
        let client = try clientWindow(of: top)
        return try describeClient(client, focus: focus)
    }

    func describeClient(_ client: Window, focus: Window?) throws -> WindowInfo {
        var frame = try viewableGeometry(client)
        if frame == nil { frame = try viewableGeometry(try topLevel(of: client)) }
        guard let frame else {
            throw DesktopError.noSuchWindow(id: UInt(client))
        }
        let (instance, className) = try wmClass(client)
        let pid = try owningPID(client)
        return WindowInfo(id: UInt(client), frame: frame, title: try title(client), instanceName: instance,
                          className: className, pid: pid, executable: pid.flatMap(X11Display.executable(of:)),
                          isFocused: focus == client)
    }

    // MARK: - Properties

    func atom(_ name: String) -> Atom { XInternAtom(display, name, 0) }

    /// The raw bytes of a property of 8-bit format (any type), or nil when it is not set.
    func property(_ window: Window, _ property: Atom, maxBytes: Int = 1 << 16) throws -> [UInt8]? {
        try checked("XGetWindowProperty 0x\(String(window, radix: 16))") {
            var type: Atom = 0
            var format: Int32 = 0
            var count: UInt = 0, after: UInt = 0
            var data: UnsafeMutablePointer<UInt8>? = nil
            let status = XGetWindowProperty(display, window, property, 0, maxBytes / 4, 0, 0 /* AnyPropertyType */,
                                            &type, &format, &count, &after, &data)
            defer { if let data { XFree(data) } }
            guard status == Success, type != 0, let data else { return nil }
            // Xlib returns 32-bit items as C longs; only the byte length matters for format 8.
            let itemSize = format == 8 ? 1 : format == 16 ? MemoryLayout<Int16>.size : MemoryLayout<Int>.size
            return Array(UnsafeBufferPointer(start: data, count: Int(count) * itemSize))
        }
    }

    func wmClass(_ window: Window) throws -> (String?, String?) {
        guard let bytes = try property(window, XA_WM_CLASS) else { return (nil, nil) }
        // Two NUL-terminated Latin-1 strings: instance, class.
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        return (parts.first.flatMap { $0.isEmpty ? nil : $0 }, parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil)
    }

    func title(_ window: Window) throws -> String? {
        if let utf8 = try property(window, atom("_NET_WM_NAME")), !utf8.isEmpty {
            return String(decoding: utf8, as: UTF8.self)
        }
        if let latin1 = try property(window, XA_WM_NAME), !latin1.isEmpty {
            return String(latin1.map { Character(Unicode.Scalar($0)) })
        }
        return nil
    }

    /// The pid of the client that created `window`, as the server knows it from the connection's
    /// peer credentials (X-Resource 1.2 QueryClientIds). The server maps any resource id to its
    /// client (it masks the id itself), so the window id serves as the client spec.
    func owningPID(_ window: Window) throws -> Int32? {
        guard hasXRes else { return nil }
        return try checked("XResQueryClientIds 0x\(String(window, radix: 16))") {
            var spec = XResClientIdSpec(client: window, mask: UInt32(XRES_CLIENT_ID_PID_MASK.rawValue))
            var count: Int = 0
            var values: UnsafeMutablePointer<XResClientIdValue>? = nil
            guard XResQueryClientIds(display, 1, &spec, &count, &values) == Success, let values else { return nil }
            defer { XResClientIdsDestroy(count, values) }
            for i in 0..<count where XResGetClientIdType(values + i) == XRES_CLIENT_ID_PID {
                let pid = XResGetClientPid(values + i)
                if pid > 0 { return pid }
            }
            return nil
        }
    }

    static func executable(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
