import XCTest
@testable import Actions
import StrictJSON

final class ActionDecodingTests: XCTestCase {
    func decode(_ text: String) throws -> Action { try Action(json: text) }

    func expectError(_ text: String, _ check: (ActionError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(text), file: file, line: line) { error in
            guard let e = error as? ActionError else { return XCTFail("not an ActionError: \(error)", file: file, line: line) }
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        }
    }

    func testAllFourteenActionsDecode() throws {
        let cases: [(String, Action)] = [
            (#"{"action":"key","keys":["ctrl","c"]}"#, .key(try KeyChord(parsing: "ctrl+c"))),
            (#"{"action":"type","text":"héllo\n"}"#, .type("héllo\n")),
            (#"{"action":"mouse_move","coordinate":[1,2]}"#, .mouseMove(Point(x: 1, y: 2))),
            (#"{"action":"left_click","coordinate":[447,81]}"#, .leftClick(Point(x: 447, y: 81))),
            (#"{"action":"left_click"}"#, .leftClick(nil)),
            (#"{"action":"left_click_drag","coordinate":[5,6]}"#, .leftClickDrag(to: Point(x: 5, y: 6))),
            (#"{"action":"right_click","coordinate":[0,1000]}"#, .rightClick(Point(x: 0, y: 1000))),
            (#"{"action":"middle_click"}"#, .middleClick(nil)),
            (#"{"action":"double_click","coordinate":[3.5,4]}"#, .doubleClick(Point(x: 3.5, y: 4))),
            (#"{"action":"triple_click","coordinate":[9,9]}"#, .tripleClick(Point(x: 9, y: 9))),
            (#"{"action":"scroll","pixels":-300}"#, .scroll(pixels: -300, at: nil)),
            (#"{"action":"hscroll","pixels":50,"coordinate":[1,1]}"#, .hscroll(pixels: 50, at: Point(x: 1, y: 1))),
            (#"{"action":"wait","time":2}"#, .wait(seconds: 2)),
            (#"{"action":"terminate","status":"success"}"#, .terminate(.success)),
            (#"{"action":"answer","text":"42"}"#, .answer("42")),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try decode(text), expected, text)
        }
        XCTAssertEqual(Set(cases.map { $0.1.kind }).count, 14)
    }

    func testArgumentsRoundTrip() throws {
        for text in [#"{"action":"key","keys":["ctrl","alt","t"]}"#, #"{"action":"scroll","pixels":-5,"coordinate":[1,2]}"#,
                     #"{"action":"type","text":"a\"b"}"#, #"{"action":"left_click"}"#] {
            let action = try decode(text)
            XCTAssertEqual(try Action(arguments: action.arguments), action)
            XCTAssertEqual(action.arguments.serialized, text)
        }
    }

    func testWholeToolCall() throws {
        let call = #"{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [447, 81]}}"#
        XCTAssertEqual(try decode(call), .leftClick(Point(x: 447, y: 81)))
        expectError(#"{"name":"shell","arguments":{"action":"left_click"}}"#) { $0 == .wrongTool("shell") }
        expectError(#"{"name":"computer_use"}"#) { if case .missingParameter(_, "arguments") = $0 { return true }; return false }
    }

    func testStrictTypesAndFields() {
        expectError(#"{"action":"left_click","coordinate":["1","2"]}"#) { if case .wrongType("coordinate", _, "string") = $0 { return true }; return false }
        expectError(#"{"action":"left_click","coordinate":[1]}"#) { if case .wrongType("coordinate", _, _) = $0 { return true }; return false }
        expectError(#"{"action":"left_click","coordinate":[1,2,3]}"#) { if case .wrongType("coordinate", _, _) = $0 { return true }; return false }
        expectError(#"{"action":"left_click","text":"x"}"#) { $0 == .unexpectedParameter(action: "left_click", parameter: "text") }
        expectError(#"{"action":"type"}"#) { $0 == .missingParameter(action: "type", parameter: "text") }
        expectError(#"{"action":"type","text":5}"#) { if case .wrongType("text", _, "number") = $0 { return true }; return false }
        expectError(#"{"action":"launch_rocket"}"#) { $0 == .unknownAction("launch_rocket") }
        expectError(#"{"action":true}"#) { if case .wrongType("action", _, "boolean") = $0 { return true }; return false }
        expectError(#"{"action":"mouse_move"}"#) { $0 == .missingParameter(action: "mouse_move", parameter: "coordinate") }
        expectError(#"{"action":"terminate","status":"done"}"#) { if case .invalidValue("status", _) = $0 { return true }; return false }
        expectError(#"{"action":"wait","time":-1}"#) { if case .invalidValue("time", _) = $0 { return true }; return false }
        expectError(#"{"action":"scroll","pixels":0}"#) { if case .invalidValue("pixels", _) = $0 { return true }; return false }
        expectError(#"{"action":"left_click","coordinate":[1e999,2]}"#) { if case .invalidValue("coordinate", _) = $0 { return true }; return false }
        expectError(#"{"action":"key","keys":[]}"#) { $0 == .emptyChord }
        expectError(#"{"action":"key","keys":"ctrl+c"}"#) { if case .wrongType("keys", _, "string") = $0 { return true }; return false }
        expectError(#"[1,2]"#) { if case .notAnObject = $0 { return true }; return false }
    }

    func testMalformedJSONIsRejectedWithOffset() {
        for bad in [#"{"action":"left_click""#, #"{"action":"left_click",}"#, #"{"action":"a","action":"b"}"#,
                    "", "{", #"{"action":"type","text":"\ud800"}"#, String(repeating: "[", count: 200)] {
            XCTAssertThrowsError(try decode(bad), bad) { error in
                guard case .invalidJSON(let e)? = error as? ActionError else { return XCTFail("\(error)") }
                XCTAssertGreaterThanOrEqual(e.offset, 0)
            }
        }
    }
}

final class KeyChordTests: XCTestCase {
    func testSpellingsNormalizeToOneChord() throws {
        let spellings = ["ctrl+alt+t", "Control_L+Alt_L+T", "C-M-t", "control+alt+T", "Ctrl + Alt + t", "alt+ctrl+t", "Control_R+Meta_L+t"]
        for s in spellings {
            XCTAssertEqual(try KeyChord(parsing: s).normalized, "ctrl+alt+t", s)
        }
        XCTAssertEqual(try KeyChord(keys: ["ctrl", "alt", "t"]).normalized, "ctrl+alt+t")
        XCTAssertEqual(try KeyChord(keys: ["Control_L", "Alt_L", "T"]), try KeyChord(parsing: "C-M-t"))
        XCTAssertEqual(try KeyChord(keys: ["ctrl+alt+t"]).normalized, "ctrl+alt+t")
    }

    func testKeysymsInPressOrder() throws {
        let chord = try KeyChord(keys: ["shift", "ctrl", "Tab"])
        XCTAssertEqual(chord.keys, ["Shift_L", "Control_L", "Tab"])
        XCTAssertEqual(chord.normalized, "ctrl+shift+Tab")
        XCTAssertEqual(try KeyChord(parsing: "enter").keys, ["Return"])
        XCTAssertEqual(try KeyChord(parsing: "ctrl++").keys, ["Control_L", "plus"])
        XCTAssertEqual(try KeyChord(parsing: "alt+F4").normalized, "alt+F4")
        XCTAssertEqual(try KeyChord(parsing: "ctrl+alt+backspace").normalized, "ctrl+alt+BackSpace")
        XCTAssertEqual(try KeyChord(parsing: "pagedown").keys, ["Next"])
        XCTAssertEqual(try KeyChord(parsing: "s-l").normalized, "super+l")
        XCTAssertEqual(try KeyChord(parsing: "XF86AudioMute").keys, ["XF86AudioMute"])
    }

    func testContainment() throws {
        let superOnly = try KeyChord(parsing: "super")
        XCTAssertTrue(try KeyChord(parsing: "super+e").contains(superOnly))
        XCTAssertTrue(try KeyChord(parsing: "Super_L").contains(superOnly))
        XCTAssertFalse(try KeyChord(parsing: "ctrl+e").contains(superOnly))
        XCTAssertFalse(try KeyChord(parsing: "ctrl+alt").contains(try KeyChord(parsing: "ctrl+alt+t")))
    }

    func testBadKeys() {
        for bad in ["", "ctrl+", "ctrl+$(rm)", "é", "ctrl+ +t", String(repeating: "a", count: 100)] {
            XCTAssertThrowsError(try KeyChord(parsing: bad), bad)
        }
    }
}

final class GridMappingTests: XCTestCase {
    func testRule() throws {
        let m = GridMapping(width: 1280, height: 800)
        XCTAssertTrue(try m.pixel(for: Point(x: 0, y: 0)) == (0, 0))
        XCTAssertTrue(try m.pixel(for: Point(x: 500, y: 500)) == (640, 400))
        XCTAssertTrue(try m.pixel(for: Point(x: 1000, y: 1000)) == (1279, 799))
        XCTAssertTrue(try m.pixel(for: Point(x: 999, y: 999)) == (1278, 799))
        XCTAssertTrue(try m.pixel(for: Point(x: 447, y: 81)) == (572, 64))
        // Centre of every pixel maps back to that pixel.
        for px in stride(from: 0, to: 1280, by: 37) {
            let g = m.gridPoint(forPixel: px, 10)
            XCTAssertEqual(try m.pixel(for: g).x, px)
        }
    }

    func testOutOfRangeIsAnErrorNotClamped() {
        let m = GridMapping(width: 1280, height: 800)
        for p in [Point(x: -1, y: 0), Point(x: 1000.5, y: 0), Point(x: 0, y: 1e9), Point(x: .nan, y: 0), Point(x: 0, y: -.infinity)] {
            XCTAssertThrowsError(try m.pixel(for: p)) { error in
                guard case .coordinateOutOfRange? = error as? ActionError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try m.checkPixels(.leftClick(Point(x: 1280, y: 0))))
        XCTAssertEqual(try m.checkPixels(.leftClick(Point(x: 1279, y: 799))), .leftClick(Point(x: 1279, y: 799)))
        XCTAssertEqual(try m.toPixels(.leftClickDrag(to: Point(x: 500, y: 250))), .leftClickDrag(to: Point(x: 640, y: 200)))
    }
}
