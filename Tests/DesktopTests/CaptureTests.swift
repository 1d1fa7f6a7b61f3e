import Foundation
import XCTest
@testable import Desktop
import Imaging

final class CaptureTests: XCTestCase {
    var desk: DesktopHarness!

    override func setUpWithError() throws { desk = try DesktopHarness(width: 1280, height: 800) }
    override func tearDown() { desk?.close() }

    private func probe(_ frame: PixelRect) throws -> ProbeWindow {
        let p = try ProbeWindow(displayName: desk.server.displayName, cookie: desk.server.cookie, frame: frame)
        let first = ProbeWindow.colors[0]
        let expected = RGB(UInt8(first >> 16), UInt8((first >> 8) & 0xff), UInt8(first & 0xff))
        try desk.waitFor("the probe window to be drawn") {
            try desk.display.capture(region: PixelRect(x: frame.x + 1, y: frame.y + 1, width: 1, height: 1)).pixel(x: 0, y: 0) == expected
        }
        return p
    }

    func testSharedMemoryAndGetImageAgreeAndRegionsAreCrops() throws {
        let p = try probe(PixelRect(x: 101, y: 57, width: 203, height: 97))
        defer { p.stop() }
        let full = try desk.display.capture()
        XCTAssertEqual(desk.display.captureMethodInUse, "xshm")
        XCTAssertEqual(full.width, 1280)
        XCTAssertEqual(full.height, 800)
        XCTAssertEqual(full.pixel(x: 150, y: 100), RGB(0x20, 0x40, 0x80))
        XCTAssertEqual(full.pixel(x: 100, y: 100), RGB(0, 0, 0)) // just outside: Xvfb's black root

        let slow = try X11Display(server: desk.server, capture: .getImage)
        defer { slow.close() }
        XCTAssertEqual(slow.captureMethodInUse, "xgetimage")
        XCTAssertEqual(try slow.capture(), full)

        for region in [PixelRect(x: 100, y: 56, width: 205, height: 99), PixelRect(x: 0, y: 0, width: 1, height: 1),
                       PixelRect(x: 1279, y: 799, width: 1, height: 1), PixelRect(x: 3, y: 5, width: 7, height: 3)] {
            XCTAssertEqual(try desk.display.capture(region: region), try full.cropped(to: region), "\(region)")
            XCTAssertEqual(try slow.capture(region: region), try full.cropped(to: region), "\(region)")
        }
        for bad in [PixelRect(x: -1, y: 0, width: 5, height: 5), PixelRect(x: 1276, y: 0, width: 5, height: 5),
                    PixelRect(x: 0, y: 0, width: 0, height: 5)] {
            XCTAssertThrowsError(try desk.display.capture(region: bad)) {
                XCTAssertEqual($0 as? DesktopError, .regionOutsideScreen(region: bad, screenWidth: 1280, screenHeight: 800))
            }
        }
    }

    /// XShm needs the server's IPC namespace. In another one the segment cannot be attached and
    /// capture falls back to XGetImage by itself. Shown by running the CLI under bwrap --unshare-ipc.
    func testFallsBackToGetImageInAnotherIPCNamespace() throws {
        let p = try probe(PixelRect(x: 400, y: 300, width: 50, height: 40))
        defer { p.stop() }
        let binary = try understudyBinary()
        let out = NSTemporaryDirectory() + "shot-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let app = try App(path: try XCTUnwrap(XvfbServer.which("bwrap")),
                          arguments: ["--dev-bind", "/", "/", "--unshare-ipc", "--", binary, "screenshot",
                                      "--display", desk.server.displayName, "--out", out],
                          environment: desk.server.environment)
        let (status, stdout) = try app.waitForExit(timeout: 30)
        XCTAssertEqual(status, 0, app.stderrText)
        XCTAssertTrue(stdout.contains("\"capture\":\"xgetimage\""), stdout)
        XCTAssertTrue(app.stderrText.contains("XShm unavailable"), app.stderrText)
        XCTAssertEqual(try Image(contentsOfPNGFile: out), try desk.display.capture())
    }

    /// An X protocol error is a typed error naming the operation; the process carries on.
    func testXErrorIsTypedAndNotFatal() throws {
        XCTAssertThrowsError(try desk.display.children(of: 0x3ff_fff0)) { error in
            guard case let DesktopError.xError(_, operation, code, _, _, resource, text) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, 3) // BadWindow
            XCTAssertEqual(resource, 0x3ff_fff0)
            XCTAssertTrue(operation.contains("XQueryTree"), operation)
            XCTAssertTrue(text.contains("BadWindow"), text)
        }
        // The connection is still fine.
        XCTAssertEqual(try desk.display.capture(region: PixelRect(x: 0, y: 0, width: 2, height: 2)).width, 2)
        XCTAssertThrowsError(try desk.display.movePointer(to: ScreenPoint(x: 1280, y: 10))) {
            XCTAssertEqual($0 as? DesktopError, .pointOutsideScreen(x: 1280, y: 10, screenWidth: 1280, screenHeight: 800))
        }
    }
}
