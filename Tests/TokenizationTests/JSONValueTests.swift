// The JSON writer must match Python's json.dumps(ensure_ascii=False) byte for byte (the chat template's
// `tojson`); the parser must keep member order.

import XCTest
@testable import Tokenization

final class JSONValueTests: XCTestCase {
    func testPythonFloatRepr() {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (7.5, "7.5"), (0.1, "0.1"), (-2.25, "-2.25"), (1e16, "1e+16"), (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"), (1e15, "1000000000000000.0"), (0.0001, "0.0001"),
            (0.00001, "1e-05"), (1.5e-7, "1.5e-07"), (1e300, "1e+300"), (0.0, "0.0"), (-0.0, "-0.0"),
            (Double.nan, "NaN"), (Double.infinity, "Infinity"), (3.141592653589793, "3.141592653589793"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(JSONValue.pythonFloatRepr(value), expected, "\(value)")
        }
    }

    func testStringEscapes() {
        XCTAssertEqual(JSONValue.string("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é天😀/").pythonJSON,
                       "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\u{7f}é天😀/\"")
    }

    func testOrderIsKept() throws {
        let v = try JSONValue.parse(#"{"z": 1, "a": [true, null, 2.5, "x"], "m": {"b": 1, "a": 2}}"#)
        XCTAssertEqual(v.pythonJSON, #"{"z": 1, "a": [true, null, 2.5, "x"], "m": {"b": 1, "a": 2}}"#)
    }

    func testEscapesAndSurrogatePairsParse() throws {
        XCTAssertEqual(try JSONValue.parse(#""\u00e9\ud83d\ude00\n\/""#), .string("é😀\n/"))
    }
}
