import CX11
import Foundation

/// Replaces Xlib's default error handlers, which print and `exit()`.
///
/// Protocol errors arrive asynchronously through a process-wide C callback that can carry no
/// context, so they are recorded here per connection; `X11Display` clears the record before an
/// operation, syncs after it, and turns what was recorded into a `DesktopError` naming the operation.
///
/// A lost connection goes through the process-wide I/O error handler and then the per-connection
/// exit handler (`XSetIOErrorExitHandler`, libX11 ≥ 1.7). Both return: libX11 marks the display
/// dead (`XlibDisplayIOError`) and later calls on it return at once, so `X11Display` checks
/// `isLost` and throws `connectionLost`. Without the exit handler Xlib would call `exit()`.
enum XErrorTrap {
    struct Recorded: Equatable {
        var code: Int
        var requestCode: Int
        var minorCode: Int
        var resourceID: UInt
        var text: String
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var errors: [UInt: [Recorded]] = [:]
    nonisolated(unsafe) private static var lost: Set<UInt> = []
    nonisolated(unsafe) private static var installed = false

    /// Installs the process-wide handlers once; call before the first XOpenDisplay.
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        // ProbeWindow runs a second connection on its own thread. libX11 ≥ 1.8 calls this from a
        // constructor anyway; calling it here keeps that true on older ones.
        XInitThreads()
        XSetErrorHandler { display, event in
            guard let display, let event else { return 0 }
            var buffer = [CChar](repeating: 0, count: 256)
            XGetErrorText(display, Int32(event.pointee.error_code), &buffer, Int32(buffer.count))
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            XErrorTrap.record(display, Recorded(code: Int(event.pointee.error_code),
                                                requestCode: Int(event.pointee.request_code),
                                                minorCode: Int(event.pointee.minor_code),
                                                resourceID: UInt(event.pointee.resourceid), text: text))
            return 0
        }
        XSetIOErrorHandler { display in
            if let display { XErrorTrap.markLost(display) }
            return 0
        }
    }

    /// Per-connection: keeps libX11 from calling exit() after the I/O error handler returns.
    static func protect(_ display: OpaquePointer) {
        XSetIOErrorExitHandler(display, { display, _ in
            if let display { XErrorTrap.markLost(display) }
        }, nil)
    }

    private static func key(_ display: OpaquePointer) -> UInt { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(display))) }

    static func record(_ display: OpaquePointer, _ error: Recorded) {
        lock.lock()
        defer { lock.unlock() }
        errors[key(display), default: []].append(error)
    }

    static func markLost(_ display: OpaquePointer) {
        lock.lock()
        defer { lock.unlock() }
        lost.insert(key(display))
    }

    static func isLost(_ display: OpaquePointer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return lost.contains(key(display))
    }

    /// Returns and clears what was recorded for `display`.
    static func take(_ display: OpaquePointer) -> [Recorded] {
        lock.lock()
        defer { lock.unlock() }
        return errors.removeValue(forKey: key(display)) ?? []
    }

    /// Forgets a closed connection (its address may be reused by the next one).
    static func forget(_ display: OpaquePointer) {
        lock.lock()
        defer { lock.unlock() }
        errors.removeValue(forKey: key(display))
        lost.remove(key(display))
    }
}
