import Foundation
import XCTest

/// Runs the built `understudy` binary as a subprocess, and a bare Xvfb for it to talk to.
/// (CLITests depend on Imaging only, so the server is started here the plain way: a cookie made
/// with `xauth -f F add`, `-displayfd`, `-nolisten tcp`.)
enum CLI {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        /// stdout parsed as one JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: stdout) as? [String: Any] else {
                throw CLIError.notJSON(stdoutText)
            }
            return object
        }
    }

    /// The binary `swift build` put next to the test bundle.
    static func binary() throws -> String {
        var dirs: [URL] = []
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        let bundle = Bundle(for: XServer.self).bundleURL
        dirs += [bundle, bundle.deletingLastPathComponent()]
        for dir in dirs {
            let candidate = dir.appendingPathComponent("understudy").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIError.missing("the understudy binary (looked in \(dirs.map(\.path)); run `swift build` first)")
    }

    /// Runs `understudy args…` to completion (at most `timeout` seconds).
    static func run(_ args: [String], environment: [String: String]? = nil, timeout: Double = 30) throws -> Result {
        try runProcess(try binary(), args, environment: environment, timeout: timeout)
    }

    static func runProcess(_ path: String, _ args: [String], environment: [String: String]? = nil,
                           timeout: Double = 30) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        let dir = NSTemporaryDirectory() + "cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Files, not pipes: a full pipe would block a chatty child before it exits.
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            throw CLIError.timeout("\(path) \(args)")
        }
        try out.close()
        try err.close()
        return Result(status: p.terminationStatus,
                      stdout: FileManager.default.contents(atPath: dir + "/out") ?? Data(),
                      stderr: String(decoding: FileManager.default.contents(atPath: dir + "/err") ?? Data(), as: UTF8.self))
    }

    static func which(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let c = "\(dir)/\(name)"
            if access(c, X_OK) == 0 { return c }
        }
        throw CLIError.missing(name)
    }
}

enum CLIError: Error, CustomStringConvertible {
    case missing(String), timeout(String), notJSON(String)
    var description: String {
        switch self {
        case .missing(let m): return "\(m) is not available"
        case .timeout(let m): return "timed out: \(m)"
        case .notJSON(let m): return "stdout is not a JSON object: \(m)"
        }
    }
}

/// A bare Xvfb with its own cookie, for the commands under test.
final class XServer {
    let number: Int
    let directory: String
    let process = Process()
    var environment: [String: String]
    var children: [Process] = []

    init(width: Int = 1024, height: Int = 768) throws {
        directory = NSTemporaryDirectory() + "cli-x-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let auth = directory + "/Xauthority"
        var rng = SystemRandomNumberGenerator()
        let cookie = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        // The server loads every cookie in the file whatever its display number; clients match
        // the number, so the entry for the real number is added once it is known.
        let xauth = try CLI.which("xauth")
        _ = try CLI.runProcess(xauth, ["-q", "-f", auth, "add", ":0", ".", cookie])
        chmod(auth, 0o600)
        process.executableURL = URL(fileURLWithPath: try CLI.which("Xvfb"))
        process.arguments = ["-displayfd", "1", "-auth", auth, "-nolisten", "tcp", "-noreset",
                             "-screen", "0", "\(width)x\(height)x24"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let fd = pipe.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(15)
        while !text.contains("\n") && Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            var buf = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            text += String(decoding: buf.prefix(n), as: UTF8.self)
        }
        guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw CLIError.timeout("Xvfb display number")
        }
        number = n
        _ = try CLI.runProcess(xauth, ["-q", "-f", auth, "add", ":\(n)", ".", cookie])
        var env = ProcessInfo.processInfo.environment
        env["DISPLAY"] = ":\(n)"
        env["XAUTHORITY"] = auth
        env["HOME"] = directory
        env["NO_AT_BRIDGE"] = "1"
        environment = env
    }

    var display: String { ":\(number)" }

    func launch(_ name: String, _ args: [String], stdout: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try CLI.which(name))
        p.arguments = args
        p.environment = environment
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        p.standardError = FileHandle.nullDevice
        try p.run()
        children.append(p)
        return p
    }

    func stop() {
        for p in children + [process] where p.isRunning {
            kill(p.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(3)
            while p.isRunning && Date() < deadline { usleep(5_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Polls until `condition` holds or `timeout` passes.
    func waitFor(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            usleep(50_000)
        }
        if try condition() { return }
        throw CLIError.timeout(what)
    }
}

extension CLI {
    /// The repository root (Policies/, Sandboxes/ are read from it).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

extension XCTestCase {
    /// A fresh path under the temporary folder, removed when the test ends.
    func temporaryPath(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "understudy-cli-\(name)-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
