// The parser's promises: order kept, duplicates rejected, depth bounded, invalid UTF-8 rejected,
// numbers kept as written, byte offsets in errors. (Moved here from ActionsTests and TokenizationTests
// when their two parsers became this one.)

import Foundation
import XCTest
@testable import StrictJSON

final class JSONValueParsingTests: XCTestCase {
    /// From ActionsTests: a second `"text"` must not replace the one that was checked.
    func testDuplicateKeysAreRejected() {
        XCTAssertThrowsError(try JSONValue.parse(#"{"text":"safe","text":"rm -rf /"}"#)) { error in
            XCTAssertTrue((error as? JSONParseError)?.message.contains("duplicate") ?? false)
            XCTAssertEqual((error as? JSONParseError)?.offset, 15)
        }
    }

    /// From TokenizationTests: tool schemas must come out in the order they were written.
    func testOrderIsKept() throws {
        let v = try JSONValue.parse(#"{"z": 1, "a": [true, null, 2.5, "x"], "m": {"b": 1, "a": 2}}"#)
        XCTAssertEqual(v.pythonJSON, #"{"z": 1, "a": [true, null, 2.5, "x"], "m": {"b": 1, "a": 2}}"#)
        XCTAssertEqual(v.objectValue?.map(\.key), ["z", "a", "m"])
    }

    /// From TokenizationTests.
    func testEscapesAndSurrogatePairsParse() throws {
        XCTAssertEqual(try JSONValue.parse(#""\u00e9\ud83d\ude00\n\/""#), .string("é😀\n/"))
    }

    func testNumbersKeepTheirTextAndReadAsTypes() throws {
        let v = try JSONValue.parse(#"[447, -1.5e3, 3.0, 99999999999999999999, 1e999]"#)
        XCTAssertEqual(v, .array([.number("447"), .number("-1.5e3"), .number("3.0"),
                                  .number("99999999999999999999"), .number("1e999")]))
        let items = v.arrayValue ?? []
        XCTAssertEqual(items[0].intValue, 447)
        XCTAssertEqual(items[0].int64Value, 447)
        XCTAssertEqual(items[1].doubleValue, -1500)
        XCTAssertNil(items[1].intValue)
        XCTAssertNil(items[2].intValue, "3.0 is not written as an integer")
        XCTAssertEqual(items[2].doubleValue, 3)
        XCTAssertNil(items[3].intValue)
        XCTAssertNil(items[3].int64Value)
        XCTAssertNil(items[4].doubleValue, "not finite")
        XCTAssertEqual(JSONValue.int(12), .number("12"))
        XCTAssertEqual(JSONValue.double(3), .number("3.0"))
    }

    func testMalformedInputIsRejectedWithOffsets() {
        let cases: [(String, Int)] = [
            (#"{"a":1,}"#, 7), ("[1,]", 3), ("01", 1), ("\"abc", 4), (#"{"a":1} x"#, 8), ("nan", 0), ("\"\u{01}\"", 1),
            (#""\ud800""#, 7), (#""\udc00""#, 7), ("-", 1), ("1.", 2), ("1e", 2), ("", 0), ("\u{FEFF}1", 0),
        ]
        for (bad, offset) in cases {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad) { error in
                XCTAssertEqual((error as? JSONParseError)?.offset, offset, "\(bad): \(error)")
            }
        }
    }

    func testNestingIsBounded() throws {
        let deep = { (n: Int) in String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        XCTAssertNoThrow(try JSONValue.parse(deep(65)))  // levels 0…64
        XCTAssertThrowsError(try JSONValue.parse(deep(66)))
        XCTAssertNoThrow(try JSONValue.parse(deep(128), maxDepth: 127))
        XCTAssertThrowsError(try JSONValue.parse(deep(129), maxDepth: 127))
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 100_000)))
    }

    /// From TokenizationTests: invalid UTF-8 inside a string, with and without escapes in it, is reported
    /// at the start of the string's content.
    func testInvalidUTF8IsRejected() {
        for bytes: [UInt8] in [[0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], [0x7B, 0x22, 0x5C, 0x6E, 0xC3, 0x22, 0x3A, 0x31, 0x7D]] {
            XCTAssertThrowsError(try JSONValue.parse(Data(bytes))) { error in
                XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 2, message: "string is not valid UTF-8"))
            }
            XCTAssertThrowsError(try JSONValue.parse(bytes))
        }
    }

    func testObjectsFromAndToDictionaries() throws {
        let built = JSONValue.object(["é": .int(1), "b": .null, "a": .bool(true)])
        XCTAssertEqual(built.serialized, #"{"a":true,"b":null,"é":1}"#, "members sorted by UTF-8 bytes")
        XCTAssertEqual(try JSONValue.parse(#"{"z":1,"a":"x"}"#).dictionaryValue, ["z": .number("1"), "a": .string("x")])
        XCTAssertNil(JSONValue.array([]).dictionaryValue)
    }

    func testUnexpectedBytesAreNamedInHex() {
        XCTAssertThrowsError(try JSONValue.parse("[1, garbage]")) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 4, message: "unexpected byte 0x67"))
        }
    }

    func testPrefixReportsBytesUsed() throws {
        let (value, used) = try JSONValue.parsePrefix(#"  {"a":"é"} trailing"#)
        XCTAssertEqual(value, .object([("a", .string("é"))]))
        XCTAssertEqual(used, 12)
    }
}
