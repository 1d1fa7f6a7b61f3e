import XCTest
@testable import Desktop

/// Key-name resolution: pure, no X server. (Chord spellings are parsed by Actions.KeyChord.)
final class KeyNamesTests: XCTestCase {
    func testKeysymNamesAndCommonSpellings() throws {
        let cases: [(String, UInt)] = [
            ("ctrl", 0xffe3), ("Control_L", 0xffe3), ("CTRL", 0xffe3), ("control", 0xffe3), ("rctrl", 0xffe4),
            ("shift", 0xffe1), ("alt", 0xffe9), ("super", 0xffeb), ("win", 0xffeb), ("cmd", 0xffeb),
            ("Return", 0xff0d), ("enter", 0xff0d), ("Enter", 0xff0d), ("esc", 0xff1b), ("Escape", 0xff1b),
            ("tab", 0xff09), ("space", 0x20), ("backspace", 0xff08), ("BackSpace", 0xff08), ("del", 0xffff),
            ("pgup", 0xff55), ("Page_Up", 0xff55), ("pagedown", 0xff56), ("Home", 0xff50), ("up", 0xff52),
            ("F5", 0xffc2), ("f12", 0xffc9), ("t", 0x74), ("T", 0x54), ("1", 0x31), ("+", 0x2b), ("plus", 0x2b),
            ("eacute", 0xe9), ("é", 0xe9), ("ß", 0xdf), ("日", 0x0100_65e5), ("😀", 0x0101_f600), ("U+263A", 0x0100_263a),
            ("XF86AudioMute", 0x1008_ff12), (" a ", 0x61),
        ]
        for (name, expected) in cases {
            XCTAssertEqual(try KeyNames.keysym(named: name), expected, name)
        }
        for bad in ["", "notakey", "ctrl+t", "U+ZZ", "\u{7}"] {
            XCTAssertThrowsError(try KeyNames.keysym(named: bad), bad) { error in
                XCTAssertEqual(error as? DesktopError, .unknownKey(name: bad))
            }
        }
    }

    func testTextKeysyms() {
        XCTAssertEqual(KeyNames.keysym(for: "a"), 0x61)
        XCTAssertEqual(KeyNames.keysym(for: "ü"), 0xfc)
        XCTAssertEqual(KeyNames.keysym(for: "✓"), 0x0100_2713)
        XCTAssertNil(KeyNames.keysym(for: "\n"))
        XCTAssertNil(KeyNames.keysym(for: "\u{85}"))
        XCTAssertEqual(KeyNames.name(of: 0xffe3), "Control_L")
    }
}
