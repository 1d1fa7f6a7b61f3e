// The writers' byte-exact formats: Python's json.dumps (the chat template's `tojson`), the audit log's
// canonical form, and the compact form action digests and the policy hash are computed over.

import XCTest
@testable import StrictJSON

final class JSONValueWritingTests: XCTestCase {
    /// From TokenizationTests.
    func testPythonFloatRepr() {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (7.5, "7.5"), (0.1, "0.1"), (-2.25, "-2.25"), (1e16, "1e+16"), (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"), (1e15, "1000000000000000.0"), (0.0001, "0.0001"),
            (0.00001, "1e-05"), (1.5e-7, "1.5e-07"), (1e300, "1e+300"), (0.0, "0.0"), (-0.0, "-0.0"),
            (Double.nan, "NaN"), (Double.infinity, "Infinity"), (3.141592653589793, "3.141592653589793"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(JSONValue.pythonFloatRepr(value), expected, "\(value)")
            XCTAssertEqual(JSONValue.double(value).pythonJSON, expected, "\(value)")
        }
    }

    /// From TokenizationTests.
    func testPythonStringEscapes() {
        XCTAssertEqual(JSONValue.string("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é天😀/").pythonJSON,
                       "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\u{7f}é天😀/\"")
    }

    func testPythonNumbersAreReadAsPythonWould() throws {
        XCTAssertEqual(try JSONValue.parse("[1, -0, 2.50, 1E2, -3e-5]").pythonJSON, "[1, 0, 2.5, 100.0, -3e-05]")
    }

    func testCompactFormKeepsOrderAndLiteralNumbers() throws {
        let text = #"{"z":[1.50,-0,1e3],"a":"\u0008\u000c\n/é"}"#
        XCTAssertEqual(try JSONValue.parse(text).serialized, text)
    }

    /// From AuditTests (AuditValue's canonical form, now this writer's).
    func testCanonicalFormSortsKeysAndEscapes() throws {
        let value: JSONValue = .object([
            ("b", .int(1)),
            ("a", .object([("x\n\"y\\", .bool(true)), ("c", .null)])),
            ("é", .double(0.5)), ("ctl", .string("\u{01}/")),
        ])
        XCTAssertEqual(try value.canonicalJSON(), #"{"a":{"c":null,"x\n\"y\\":true},"b":1,"ctl":"\u0001/","é":0.5}"#)
    }

    func testCanonicalRoundTripIsByteIdentical() throws {
        let text = #"{"a":[1,-2,3.25,1e+20,"\u0000\t"],"b":{"":false},"c":"日本"}"#
        XCTAssertEqual(try JSONValue.parse(text).canonicalJSON(), text)
        // Not canonical: re-serializes differently.
        XCTAssertEqual(try JSONValue.parse("[1.50,1E2,-0]").canonicalJSON(), "[1.5,100.0,0]")
    }

    func testCanonicalIntegerAndFloatKeepDistinctSpellings() throws {
        XCTAssertEqual(try JSONValue.int(3).canonicalJSON(), "3")
        XCTAssertEqual(try JSONValue.double(3).canonicalJSON(), "3.0")
    }

    func testCanonicalRefusesWhatItCannotSpell() {
        XCTAssertThrowsError(try JSONValue.double(.nan).canonicalJSON()) {
            XCTAssertEqual($0 as? JSONWriteError, .nonFiniteNumber("nan"))
        }
        XCTAssertThrowsError(try JSONValue.double(.infinity).canonicalJSON())
        XCTAssertThrowsError(try JSONValue.number("99999999999999999999").canonicalJSON()) {
            XCTAssertEqual($0 as? JSONWriteError, .integerOutOfRange("99999999999999999999"))
        }
    }
}
