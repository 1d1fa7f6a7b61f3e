// A throwaway Xvfb for the integration tests: `-displayfd` picks a free display, the cookie (mode
// 0600, FamilyWild, 16 random bytes) is written before the server starts, and the server never
// listens on TCP. (Desktop's XvfbServer does the same; it is not on this branch yet.)

import Foundation
import XCTest
@testable import Sandbox

final class TestDisplay {
    let number: Int
    let directory: String
    let authorityFile: String
    private let process: Process

    var endpoint: DisplayEndpoint { DisplayEndpoint(number: number, authorityFile: authorityFile) }
    var name: String { ":\(number)" }

    init(width: Int = 1024, height: Int = 768, timeout: Double = 15) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else { throw XCTSkip("Xvfb is not installed") }
        var template = Array((NSTemporaryDirectory() + "understudy-test-x-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) != nil else {
            throw SandboxError.homeFailed(path: NSTemporaryDirectory(), reason: "mkdtemp failed")
        }
        directory = String(cString: template)
        authorityFile = directory + "/Xauthority"
        var generator = SystemRandomNumberGenerator()
        let cookie = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        func field(_ b: [UInt8]) -> [UInt8] { [UInt8(b.count >> 8), UInt8(b.count & 0xff)] + b }
        let entry: [UInt8] = [0xff, 0xff] + field([]) + field([]) + field(Array("MIT-MAGIC-COOKIE-1".utf8)) + field(cookie)
        guard FileManager.default.createFile(atPath: authorityFile, contents: Data(entry), attributes: [.posixPermissions: 0o600]) else {
            throw SandboxError.homeFailed(path: authorityFile, reason: "cannot write cookie")
        }
        let numberFile = directory + "/display"
        _ = FileManager.default.createFile(atPath: numberFile, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
        process.arguments = ["-displayfd", "1", "-auth", authorityFile, "-nolisten", "tcp", "-noreset",
                             "-screen", "0", "\(width)x\(height)x24"]
        process.standardOutput = FileHandle(forWritingAtPath: numberFile)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            if let text = try? String(contentsOfFile: numberFile, encoding: .utf8), text.hasSuffix("\n") {
                found = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            } else { usleep(10_000) }
        }
        guard let found else {
            process.terminate()
            throw SandboxError.timedOut(operation: "Xvfb -displayfd", seconds: timeout)
        }
        number = found
        try poll(timeout: timeout, "Xvfb :\(found) accepts clients") {
            (try? self.x(["/usr/bin/xdpyinfo"]).status) == 0
        }
    }

    /// Runs an X client against this display with its cookie.
    @discardableResult
    func x(_ argv: [String], timeout: Double = 15) throws -> CommandResult {
        try CommandRunner.run(argv, environment: ["PATH": "/usr/bin:/bin", "DISPLAY": name, "XAUTHORITY": authorityFile],
                              timeout: timeout)
    }

    /// The `xwininfo -root -tree` listing.
    func windowTree() -> String { (try? x(["/usr/bin/xwininfo", "-root", "-tree"]).output) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// A test case that stops the applications, displays and homes its test started.
class SandboxTestCase: XCTestCase {
    var displays: [TestDisplay] = []
    var homes: [SandboxHome] = []
    var apps: [SandboxedApp] = []

    override func tearDown() {
        for a in apps { a.stop(gracePeriod: 1) }
        for d in displays { d.stop() }
        for h in homes { try? h.discard() }
    }
}

/// Polls `condition` every 20 ms until it holds or the deadline passes (then throws, naming `what`).
func poll(timeout: Double, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw SandboxError.timedOut(operation: what, seconds: timeout)
}

/// Skips integration tests where bubblewrap cannot make its namespaces.
func requireBubblewrap() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") else { throw XCTSkip("bubblewrap is not installed") }
    let r = try CommandRunner.run(["/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "/bin/true"], timeout: 10)
    if r.status != 0 { throw XCTSkip("bubblewrap cannot create namespaces here: \(r.output)") }
}

/// The repository's Sandboxes/ folder, found from this file's path.
func sandboxesFolder(file: String = #filePath) -> String {
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent("Sandboxes").path
}
