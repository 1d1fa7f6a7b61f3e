import Foundation
import XCTest
@testable import Desktop

final class XvfbServerTests: XCTestCase {
    func testPrivateServerWithCookieAndCleanStop() throws {
        let server = try XvfbServer(width: 640, height: 480)
        defer { try? server.stop() }
        XCTAssertTrue(server.isAlive)

        // The cookie file is ours alone, in a directory that is ours alone.
        var st = stat()
        XCTAssertEqual(stat(server.authorityFile, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat((server.authorityFile as NSString).deletingLastPathComponent, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        XCTAssertEqual(server.cookie.count, 16)

        // Started with -nolisten tcp and -auth, never -ac.
        let cmdline = try String(contentsOfFile: "/proc/\(server.pid)/cmdline", encoding: .utf8)
            .split(separator: "\0").map(String.init)
        XCTAssertTrue(zip(cmdline, cmdline.dropFirst()).contains { $0 == "-nolisten" && $1 == "tcp" }, "\(cmdline)")
        XCTAssertTrue(cmdline.contains("-auth"))
        XCTAssertFalse(cmdline.contains("-ac"))
        XCTAssertFalse(Self.tcpPortOpen(6000 + server.displayNumber), "Xvfb listens on TCP")

        // The right cookie gets in; a wrong one does not.
        let display = try X11Display(server: server)
        XCTAssertEqual(display.screenSize.width, 640)
        XCTAssertEqual(display.screenSize.height, 480)
        display.close()
        XCTAssertThrowsError(try X11Display(name: server.displayName, cookie: [UInt8](repeating: 7, count: 16))) {
            XCTAssertEqual($0 as? DesktopError, .cannotOpenDisplay(display: server.displayName))
        }

        // xauth reads the file the same way clients do.
        let xauth = Process()
        xauth.executableURL = URL(fileURLWithPath: try XCTUnwrap(XvfbServer.which("xauth")))
        xauth.arguments = ["-f", server.authorityFile, "list"]
        let pipe = Pipe()
        xauth.standardOutput = pipe
        try xauth.run()
        xauth.waitUntilExit()
        let listed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(listed.contains("MIT-MAGIC-COOKIE-1"), listed)
        XCTAssertTrue(listed.contains(server.cookie.map { String(format: "%02x", $0) }.joined()), listed)

        let number = server.displayNumber
        try server.stop()
        XCTAssertFalse(server.isAlive)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/.X\(number)-lock"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/.X11-unix/X\(number)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.authorityFile))
        XCTAssertThrowsError(try server.checkAlive())
    }

    func testTwoServersGetDifferentDisplays() throws {
        let a = try XvfbServer(width: 320, height: 200)
        defer { try? a.stop() }
        let b = try XvfbServer(width: 320, height: 200)
        defer { try? b.stop() }
        XCTAssertNotEqual(a.displayNumber, b.displayNumber)
        XCTAssertNotEqual(a.cookie, b.cookie)
        // Each cookie opens only its own server.
        XCTAssertThrowsError(try X11Display(name: a.displayName, cookie: b.cookie))
    }

    /// A server killed under us is noticed; the lost connection is a typed error, not exit().
    func testDeadServerIsNoticedAndLostConnectionIsAnError() throws {
        let server = try XvfbServer(width: 320, height: 200)
        let display = try X11Display(server: server)
        _ = try display.capture()
        let number = server.displayNumber
        kill(server.pid, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while server.isAlive && Date() < deadline { usleep(10_000) }
        XCTAssertThrowsError(try server.checkAlive()) { error in
            guard case DesktopError.serverDied(_, let status, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, SIGKILL)
        }
        XCTAssertThrowsError(try display.capture()) { error in
            guard case DesktopError.connectionLost = error else { return XCTFail("\(error)") }
        }
        XCTAssertTrue(display.isConnectionLost)
        XCTAssertThrowsError(try display.click(.left, at: ScreenPoint(x: 1, y: 1), count: 1))
        XCTAssertThrowsError(try display.windows())
        display.close()
        // SIGKILL left the lock behind; stop() removes what is provably this server's.
        try server.stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/.X\(number)-lock"))
    }

    /// Regression: started from a dispatch worker thread (as `AsyncParsableCommand` commands run),
    /// Xvfb inherited a mask blocking SIGTERM, ignored stop()'s SIGTERM and had to be killed.
    func testServerStartedOnAWorkerThreadHonoursSIGTERM() throws {
        final class Box: @unchecked Sendable { var started: Result<XvfbServer, Error>? } // written before signal, read after wait
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.started = Result { try XvfbServer(width: 320, height: 200) }
            done.signal()
        }
        done.wait()
        let server = try XCTUnwrap(box.started).get()
        let status = try String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)
        let blocked = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
        let mask = try XCTUnwrap(UInt64(blocked.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16))
        XCTAssertEqual(mask & (1 << UInt64(SIGTERM - 1)), 0, "SIGTERM is blocked in Xvfb: \(blocked)")
        let start = Date()
        try server.stop(timeout: 5)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "Xvfb needed SIGKILL")
    }

    static func tcpPortOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
