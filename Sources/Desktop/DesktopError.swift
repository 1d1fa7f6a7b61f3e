import Imaging

/// Every failure in Desktop. Each case says what was attempted and where (display, window, key…).
public enum DesktopError: Error, Equatable, CustomStringConvertible {
    // Xvfb lifecycle
    case executableNotFound(name: String)
    case serverStartFailed(reason: String, log: String)
    case serverNotReady(display: String, seconds: Double, log: String)
    case serverDied(display: String, status: Int32, log: String)
    case serverStopFailed(display: String, reason: String)
    case authFileFailed(path: String, reason: String)
    // Connection
    case cannotOpenDisplay(display: String)
    case connectionLost(display: String, during: String)
    case missingExtension(display: String, name: String)
    /// An X protocol error: the server's code and request numbers, and Xlib's text for the code.
    case xError(display: String, operation: String, code: Int, requestCode: Int, minorCode: Int, resourceID: UInt, text: String)
    // Capture
    case regionOutsideScreen(region: PixelRect, screenWidth: Int, screenHeight: Int)
    case captureFailed(display: String, method: String, reason: String)
    case imageConversion(String)
    // Input
    case pointOutsideScreen(x: Int, y: Int, screenWidth: Int, screenHeight: Int)
    case invalidArgument(operation: String, reason: String)
    case unknownKey(name: String)
    case noKeycode(keysym: UInt, name: String)
    case untypableCharacter(scalar: UInt32, position: Int)
    // Windows
    case noSuchWindow(id: UInt)

    public var description: String {
        switch self {
        case let .executableNotFound(name): return "\(name) not found on PATH"
        case let .serverStartFailed(reason, log): return "Xvfb did not start: \(reason)\(Self.tail(log))"
        case let .serverNotReady(d, s, log): return "Xvfb \(d) accepted no client within \(s) s\(Self.tail(log))"
        case let .serverDied(d, status, log): return "Xvfb \(d) exited with status \(status)\(Self.tail(log))"
        case let .serverStopFailed(d, reason): return "stopping Xvfb \(d): \(reason)"
        case let .authFileFailed(path, reason): return "X authority file \(path): \(reason)"
        case let .cannotOpenDisplay(d): return "cannot open X display \(d) (is it running, and is XAUTHORITY right?)"
        case let .connectionLost(d, op): return "connection to X display \(d) lost during \(op)"
        case let .missingExtension(d, name): return "X display \(d) lacks the \(name) extension"
        case let .xError(d, op, code, req, minor, rid, text):
            return "X error on \(d) during \(op): \(text) (code \(code), request \(req).\(minor), resource 0x\(String(rid, radix: 16)))"
        case let .regionOutsideScreen(r, w, h): return "region \(r) is not inside the \(w)x\(h) screen"
        case let .captureFailed(d, method, reason): return "capture through \(method) on \(d) failed: \(reason)"
        case let .imageConversion(m): return "captured pixels could not be converted: \(m)"
        case let .pointOutsideScreen(x, y, w, h): return "point (\(x), \(y)) is outside the \(w)x\(h) screen"
        case let .invalidArgument(op, reason): return "\(op): \(reason)"
        case let .unknownKey(name): return "unknown key name \"\(name)\""
        case let .noKeycode(ks, name): return "no keycode for keysym 0x\(String(ks, radix: 16)) (\(name)) and no spare keycode to bind it to"
        case let .untypableCharacter(scalar, pos):
            return "character U+\(String(scalar, radix: 16, uppercase: true)) at position \(pos) cannot be typed"
        case let .noSuchWindow(id): return "no window 0x\(String(id, radix: 16))"
        }
    }

    private static func tail(_ log: String) -> String {
        let lines = log.split(separator: "\n").suffix(5)
        return lines.isEmpty ? "" : "; Xvfb said: " + lines.joined(separator: " | ")
    }
}
