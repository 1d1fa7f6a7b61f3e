import Foundation
import XCTest
@testable import Desktop
import CX11
import Imaging

/// Exactly which events XTest input produces, seen by a plain X client of our own.
final class InputEventTests: XCTestCase {
    var desk: DesktopHarness!
    var probe: ProbeWindow!
    let frame = PixelRect(x: 200, y: 150, width: 400, height: 300)

    override func setUpWithError() throws {
        desk = try DesktopHarness(width: 1024, height: 768)
        probe = try ProbeWindow(displayName: desk.server.displayName, cookie: desk.server.cookie, frame: frame, claimedPID: 1)
        try desk.waitFor("the probe window") { try desk.display.window(at: ScreenPoint(x: 300, y: 200))?.id == probe.windowID }
    }

    override func tearDown() {
        probe?.stop()
        desk?.close()
    }

    private func presses() -> [Int] {
        probe.events.compactMap { if case .buttonPress(let b) = $0.kind { return b } else { return nil } }
    }

    /// The probe claims _NET_WM_PID 1; the server knows its connection is this test process.
    func testOwnerComesFromTheServerNotFromNetWMPid() throws {
        let info = try XCTUnwrap(desk.display.window(at: ScreenPoint(x: 300, y: 200)))
        XCTAssertEqual(info.id, probe.windowID)
        XCTAssertEqual(info.title, "understudy probe")
        XCTAssertEqual(info.pid, getpid())
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        XCTAssertEqual(info.executable, me)
        XCTAssertTrue(try desk.display.windows().contains { $0.id == probe.windowID && $0.pid == getpid() })
    }

    func testButtonsAndMultiClicks() throws {
        try desk.display.click(.right, at: ScreenPoint(x: 250, y: 170), count: 1)
        try desk.display.click(.middle, at: ScreenPoint(x: 260, y: 180), count: 1)
        try desk.display.click(.left, at: ScreenPoint(x: 270, y: 190), count: 2)
        try desk.display.click(.left, at: nil, count: 3)
        XCTAssertTrue(probe.waitFor(timeout: 5) { $0.filter { if case .buttonRelease = $0.kind { return true }; return false }.count == 7 })
        XCTAssertEqual(presses(), [3, 2, 1, 1, 1, 1, 1])
        let rightPress = try XCTUnwrap(probe.events.first { $0.kind == .buttonPress(3) })
        XCTAssertEqual(rightPress.x, 50) // window coordinates
        XCTAssertEqual(rightPress.y, 20)
        XCTAssertEqual(try desk.display.pointerPosition(), ScreenPoint(x: 270, y: 190))
        XCTAssertThrowsError(try desk.display.click(.left, at: nil, count: 4))
    }

    func testWheelInAllFourDirections() throws {
        try desk.display.scroll(.up, steps: 2, at: ScreenPoint(x: 300, y: 300))
        try desk.display.scroll(.down, steps: 3, at: nil)
        try desk.display.scroll(.left, steps: 1, at: nil)
        try desk.display.scroll(.right, steps: 4, at: nil)
        XCTAssertTrue(probe.waitFor(timeout: 5) { _ in self.presses().count == 10 })
        XCTAssertEqual(presses(), [4, 4, 5, 5, 5, 6, 7, 7, 7, 7])
        XCTAssertThrowsError(try desk.display.scroll(.down, steps: 0, at: nil))
    }

    func testDragPressesMovesThroughAndReleases() throws {
        try desk.display.drag(from: ScreenPoint(x: 220, y: 160), to: ScreenPoint(x: 520, y: 400))
        XCTAssertTrue(probe.waitFor(timeout: 5) { $0.contains { $0.kind == .buttonRelease(1) } })
        let events = probe.events
        let press = try XCTUnwrap(events.firstIndex { $0.kind == .buttonPress(1) })
        let release = try XCTUnwrap(events.firstIndex { $0.kind == .buttonRelease(1) })
        XCTAssertEqual(events[press].x, 20)
        XCTAssertEqual(events[press].y, 10)
        XCTAssertEqual(events[release].x, 320)
        XCTAssertEqual(events[release].y, 250)
        let motions = events[press..<release].filter { $0.kind == .motion }
        XCTAssertGreaterThanOrEqual(motions.count, 10, "intermediate motion while the button is held")
        let xs = motions.map(\.x)
        XCTAssertEqual(xs, xs.sorted(), "motion goes one way")
    }

    func testChordPressesInOrderAndTextIncludingUnmappedKeysyms() throws {
        try desk.display.movePointer(to: ScreenPoint(x: 400, y: 300)) // focus follows the pointer without a WM
        try desk.display.pressChord(["ctrl", "shift", "t"])
        try desk.display.pressChord(["alt", "F4"])
        let before = try desk.display.currentKeyboardMap()
        try desk.display.type("aZ\né")
        let expected: [UInt] = [0xffe3, 0xffe1, 0x74, 0xffe9, 0xffc1, 0x61, 0xffe1, 0x7a, 0xff0d]
        XCTAssertTrue(probe.waitFor(timeout: 5) { $0.filter { if case .keyPress = $0.kind { return true }; return false }.count >= expected.count + 1 })
        let keys = probe.events.compactMap { if case .keyPress(let k) = $0.kind { return k } else { return nil } }
        XCTAssertEqual(Array(keys.prefix(expected.count)), expected)
        XCTAssertEqual(keys.count, expected.count + 1) // é on a temporarily bound keycode
        // The temporary binding is gone afterwards.
        XCTAssertEqual(try desk.display.currentKeyboardMap().symbols, before.symbols)
        XCTAssertThrowsError(try desk.display.pressChord(["ctrl", "nosuchkey"])) {
            XCTAssertEqual($0 as? DesktopError, .unknownKey(name: "nosuchkey"))
        }
        XCTAssertThrowsError(try desk.display.type("a\u{7}")) {
            XCTAssertEqual($0 as? DesktopError, .untypableCharacter(scalar: 7, position: 1))
        }
    }

    /// A keymap without Shift_L must not turn "Z" into "z": Shift_R is used, and with no Shift key
    /// at all the keysym is bound to a spare keycode. The chord path and the text path both.
    func testShiftedKeysWhenTheKeymapLacksShiftKeys() throws {
        try desk.display.movePointer(to: ScreenPoint(x: 400, y: 300))
        func clear(_ names: [Int32]) throws {
            let map = try desk.display.currentKeyboardMap()
            for name in names {
                guard let code = map.find(KeyNames.KeySymbol(name))?.keycode else { continue }
                var syms = [KeySym](repeating: 0, count: map.perKeycode)
                XChangeKeyboardMapping(desk.display.display, Int32(code), Int32(map.perKeycode), &syms, 1)
            }
            XSync(desk.display.display, 0)
        }
        func keyPresses(_ count: Int) -> [UInt] {
            XCTAssertTrue(probe.waitFor(timeout: 5) { $0.filter { if case .keyPress = $0.kind { return true }; return false }.count >= count })
            return probe.events.compactMap { if case .keyPress(let k) = $0.kind { return k } else { return nil } }
        }
        // Only Shift_R left: it is the one held for "Z".
        try clear([XK_Shift_L])
        XCTAssertNotNil(try desk.display.currentKeyboardMap().shiftKeycode)
        try desk.display.type("Z")
        XCTAssertEqual(keyPresses(2), [0xffe2, 0x7a])
        // No Shift key at all: "Z" and ctrl+"T" arrive as their own keysyms on bound keycodes.
        try clear([XK_Shift_R])
        let before = try desk.display.currentKeyboardMap()
        XCTAssertNil(before.shiftKeycode)
        try desk.display.type("Z")
        try desk.display.pressChord(["ctrl", "T"])
        XCTAssertEqual(keyPresses(5), [0xffe2, 0x7a, 0x5a, 0xffe3, 0x54])
        XCTAssertEqual(try desk.display.currentKeyboardMap().symbols, before.symbols)
    }
}
