import CX11
import Foundation

/// A private Xvfb server: started on a free display number, reachable only with a fresh cookie.
///
/// Safety (docs/safety-design.md §2): any client of a display can read every window and inject
/// input, so each server gets its own MIT-MAGIC-COOKIE-1 in a mode-0600 file inside a mode-0700
/// directory, `-nolisten tcp`, and never `-ac`. Children get `DISPLAY` and `XAUTHORITY` from
/// `environment`.
///
/// The display number is chosen by the server (`-displayfd`), so the cookie file is written before
/// the number is known: its one entry uses the wildcard family with an empty display number, which
/// libXau matches for any display (`XauGetBestAuthByAddr`), and the server loads every entry of its
/// `-auth` file regardless of address.
public final class XvfbServer {
    public let displayNumber: Int
    /// ":N"
    public var displayName: String { ":\(displayNumber)" }
    public let width: Int
    public let height: Int
    /// The cookie file (mode 0600) to give clients as XAUTHORITY.
    public let authorityFile: String
    /// The MIT-MAGIC-COOKIE-1 (16 random bytes); also in `authorityFile`.
    public let cookie: [UInt8]
    private let directory: String
    private let logFile: String
    private let process: Process
    private var stopped = false

    /// The server's process id.
    public var pid: Int32 { process.processIdentifier }

    /// What a child process needs to reach this server.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = displayName
        env["XAUTHORITY"] = authorityFile
        return env
    }

    /// Starts Xvfb and returns once a client has connected with the cookie.
    /// - Parameters:
    ///   - arguments: extra server arguments (e.g. `["-extension", "MIT-SHM"]`).
    ///   - timeout: seconds to wait for the display number and for the first client connection.
    public init(width: Int = 1280, height: Int = 800, depth: Int = 24, arguments: [String] = [],
                timeout: Double = 15) throws {
        guard (16...16384).contains(width), (16...16384).contains(height), [16, 24].contains(depth) else {
            throw DesktopError.invalidArgument(operation: "XvfbServer", reason: "screen \(width)x\(height)x\(depth)")
        }
        guard let executable = XvfbServer.which("Xvfb") else { throw DesktopError.executableNotFound(name: "Xvfb") }
        self.width = width
        self.height = height

        var template = Array((NSTemporaryDirectory() + "understudy-xvfb-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DesktopError.serverStartFailed(reason: "mkdtemp: \(String(cString: strerror(errno)))", log: "")
        }
        directory = String(cString: made)
        authorityFile = directory + "/Xauthority"
        logFile = directory + "/Xvfb.log"

        var generator = SystemRandomNumberGenerator() // getrandom(2) on Linux
        cookie = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        do {
            try XvfbServer.writeAuthority(cookie: cookie, to: authorityFile)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }

        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-displayfd", "1", "-auth", authorityFile, "-nolisten", "tcp", "-noreset",
                             "-screen", "0", "\(width)x\(height)x\(depth)"] + arguments
        let numberPipe = Pipe()
        process.standardOutput = numberPipe
        process.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logFile) ?? FileHandle.nullDevice
        do {
            try process.runWithUnblockedSignals()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw DesktopError.serverStartFailed(reason: "\(executable): \(error)", log: "")
        }
        let readFD = numberPipe.fileHandleForReading.fileDescriptor
        let number = XvfbServer.readDisplayNumber(fd: readFD, timeout: timeout)
        try? numberPipe.fileHandleForReading.close()
        try? numberPipe.fileHandleForWriting.close()
        guard let number else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            XvfbServer.terminate(process, timeout: 2)
            try? FileManager.default.removeItem(atPath: directory)
            throw DesktopError.serverStartFailed(reason: "no display number from -displayfd within \(timeout) s", log: log)
        }
        displayNumber = number
        do {
            try waitUntilReady(timeout: timeout)
        } catch {
            try? stop()
            throw error
        }
    }

    deinit { try? stop() }

    /// True while the server process runs.
    public var isAlive: Bool { process.isRunning }

    /// Throws `serverDied` (with the server's last log lines) when the server is gone.
    public func checkAlive() throws {
        guard !stopped else {
            throw DesktopError.serverDied(display: displayName, status: -1, log: "stopped by this process")
        }
        if !process.isRunning {
            throw DesktopError.serverDied(display: displayName, status: process.terminationStatus, log: log)
        }
    }

    /// The server's stderr so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, wait up to `timeout` seconds (then SIGKILL), and make sure no lock file or socket of
    /// this server is left behind. Idempotent.
    public func stop(timeout: Double = 5) throws {
        guard !stopped else { return }
        stopped = true
        XvfbServer.terminate(process, timeout: timeout)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Xvfb removes these itself on SIGTERM; after a SIGKILL (or a crash) they would stay and
        // make the next server on this number fail. Remove them only when they are ours.
        let lock = "/tmp/.X\(displayNumber)-lock"
        if let text = try? String(contentsOfFile: lock, encoding: .utf8),
           Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == process.processIdentifier {
            unlink(lock)
            unlink("/tmp/.X11-unix/X\(displayNumber)")
        }
        if FileManager.default.fileExists(atPath: lock),
           let text = try? String(contentsOfFile: lock, encoding: .utf8),
           Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == process.processIdentifier {
            throw DesktopError.serverStopFailed(display: displayName, reason: "\(lock) is still there")
        }
    }

    // MARK: - Start-up helpers

    /// Connects with the cookie until the server accepts a client (or dies, or time runs out).
    private func waitUntilReady(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !process.isRunning {
                throw DesktopError.serverDied(display: displayName, status: process.terminationStatus, log: log)
            }
            if let display = X11Display.openConnection(displayName, cookie: cookie) {
                XCloseDisplay(display)
                XErrorTrap.forget(display)
                return
            }
            if Date() > deadline { throw DesktopError.serverNotReady(display: displayName, seconds: timeout, log: log) }
            usleep(20_000)
        }
    }

    /// Reads the decimal display number and newline that `-displayfd` writes.
    private static func readDisplayNumber(fd: Int32, timeout: Double) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while !text.contains("\n") {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil } // EOF: the server exited
            text += String(decoding: buffer.prefix(n), as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first, let number = Int(line), number >= 0 else { return nil }
        return number
    }

    /// One Xauthority entry (libXau's format: big-endian 16-bit lengths before each field):
    /// family, address, display number, auth name, auth data.
    static func writeAuthority(cookie: [UInt8], to path: String) throws {
        func field(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes }
        let familyWild: [UInt8] = [0xff, 0xff]
        let entry = familyWild + field([]) + field([]) + field(Array("MIT-MAGIC-COOKIE-1".utf8)) + field(cookie)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DesktopError.authFileFailed(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let written = entry.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == entry.count else {
            throw DesktopError.authFileFailed(path: path, reason: "short write (\(written) of \(entry.count) bytes)")
        }
    }

    /// SIGTERM, then SIGKILL after `timeout` seconds; returns once the process is gone.
    public static func terminate(_ process: Process, timeout: Double) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            let killDeadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < killDeadline { usleep(5_000) }
        }
        // Polled rather than Process.waitUntilExit, which has no deadline: a child that ignores
        // SIGTERM (see Process.runWithUnblockedSignals) would hang it for good.
    }

    /// The first executable called `name` on PATH.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
