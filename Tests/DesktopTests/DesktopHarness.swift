import Foundation
import XCTest
@testable import Desktop
import Imaging

/// A private Xvfb (optionally with openbox) and the applications a test starts on it. Everything
/// is bounded by deadlines; nothing relies on a DISPLAY from outside.
final class DesktopHarness {
    let server: XvfbServer
    let display: X11Display
    private var apps: [App] = []
    private var homes: [String] = []

    init(windowManager: Bool = false, width: Int = 1280, height: Int = 800) throws {
        server = try XvfbServer(width: width, height: height)
        display = try X11Display(server: server)
        if windowManager {
            let wm = try launch("openbox", ["--sm-disable"])
            // openbox is ready once it owns the WM selection for screen 0.
            try waitFor("openbox to manage the screen", timeout: 10) {
                try self.display.selectionOwner("WM_S0") != 0 || !wm.isRunning
            }
            XCTAssertTrue(wm.isRunning, "openbox exited: \(wm.stderrText)")
        }
    }

    func close() {
        for app in apps.reversed() { app.stop() }
        for home in homes { try? FileManager.default.removeItem(atPath: home) }
        display.close()
        try? server.stop()
    }

    /// Starts `executable` (looked up on PATH) with the server's DISPLAY and XAUTHORITY.
    @discardableResult
    func launch(_ executable: String, _ arguments: [String]) throws -> App {
        guard let path = XvfbServer.which(executable) else {
            throw HarnessError.missing(executable)
        }
        // A fresh home: no saved settings from earlier runs change an application's layout.
        var env = server.environment
        let home = NSTemporaryDirectory() + "understudy-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        homes.append(home)
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home + "/.config"
        env["NO_AT_BRIDGE"] = "1" // no accessibility bus to wait for
        let app = try App(path: path, arguments: arguments, environment: env)
        apps.append(app)
        return app
    }

    /// Polls `condition` until it holds; fails the test (by throwing) at the deadline.
    func waitFor(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(20_000)
        }
        if try condition() { return }
        throw HarnessError.timeout(what)
    }

    /// The application's window once it is mapped (matched by the X server's pid for it).
    func window(of app: App, timeout: Double = 15) throws -> WindowInfo {
        var found: WindowInfo?
        try waitFor("a window of \(app.path)", timeout: timeout) {
            found = try display.windows().first { $0.pid == app.pid && $0.frame.width > 50 }
            return found != nil
        }
        guard let found else { throw HarnessError.timeout("window of \(app.path)") }
        return found
    }

    /// Waits until the screen stops changing (two equal captures `interval` apart).
    func waitUntilStill(region: PixelRect? = nil, interval: Double = 0.15, timeout: Double = 5) throws {
        var last = try region.map { try display.capture(region: $0) } ?? display.capture()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            usleep(UInt32(interval * 1_000_000))
            let now = try region.map { try display.capture(region: $0) } ?? display.capture()
            if now == last { return }
            last = now
        }
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    case missing(String)
    var description: String {
        switch self {
        case .timeout(let what): return "timed out waiting for \(what)"
        case .missing(let what): return "\(what) is not installed (scripts/setup installs it)"
        }
    }
}


/// A child process with its stdout and stderr collected.
final class App {
    let path: String
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private var outData = Data()
    private var errData = Data()
    private let lock = NSLock()

    init(path: String, arguments: [String], environment: [String: String]) throws {
        self.path = path
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.outData.append(d); self.lock.unlock()
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.errData.append(d); self.lock.unlock()
        }
        try process.runWithUnblockedSignals()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    var stdoutText: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: outData, as: UTF8.self)
    }

    var stderrText: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: errData, as: UTF8.self)
    }

    /// Waits for the process to exit; returns its status and everything it printed on stdout.
    func waitForExit(timeout: Double) throws -> (status: Int32, stdout: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { throw HarnessError.timeout("\(path) to exit; stderr: \(stderrText)") }
        // Drain what is left in the pipe.
        usleep(50_000)
        out.fileHandleForReading.readabilityHandler = nil
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        lock.lock(); outData.append(rest); lock.unlock()
        return (process.terminationStatus, stdoutText)
    }

    /// SIGTERM to this process only (by pid), then SIGKILL if it lingers.
    func stop() {
        XvfbServer.terminate(process, timeout: 2)
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
    }
}

/// The built `understudy` binary, in the products directory beside the test bundle
/// (`swift test` builds it with every other product).
func understudyBinary() throws -> String {
    var dirs: [URL] = []
    if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
    let bundle = Bundle(for: App.self).bundleURL
    dirs += [bundle, bundle.deletingLastPathComponent()]
    for dir in dirs {
        let candidate = dir.appendingPathComponent("understudy").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw HarnessError.missing("the understudy binary (looked in \(dirs.map(\.path)); run `swift build` first)")
}
