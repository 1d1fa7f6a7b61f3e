import XCTest
@testable import Audit

final class AuditValueTests: XCTestCase {
    func testCanonicalFormSortsKeysAndEscapes() throws {
        let value: AuditValue = ["b": 1, "a": ["x\n\"y\\": true, "c": nil], "é": 0.5, "ctl": "\u{01}/"]
        XCTAssertEqual(try value.canonicalJSON(),
                       #"{"a":{"c":null,"x\n\"y\\":true},"b":1,"ctl":"\u0001/","é":0.5}"#)
    }

    func testRoundTripIsByteIdentical() throws {
        let text = #"{"a":[1,-2,3.25,1e+20,"\u0000\t"],"b":{"":false},"c":"日本"}"#
        let value = try AuditValue.parse(text)
        XCTAssertEqual(try value.canonicalJSON(), text)
    }

    func testIntegerAndFloatKeepDistinctSpellings() throws {
        XCTAssertEqual(try AuditValue.parse("3"), .int(3))
        XCTAssertEqual(try AuditValue.parse("3.0"), .double(3))
        XCTAssertEqual(try AuditValue.double(3).canonicalJSON(), "3.0")
    }

    func testRejectsMalformedInput() {
        for bad in [#"{"a":1,"a":2}"#, "[1,]", "01", "\"abc", "{\"a\":1} x", "nan", "\"\u{01}\"",
                    "99999999999999999999", #""\ud800""#, String(repeating: "[", count: 100)] {
            XCTAssertThrowsError(try AuditValue.parse(bad), bad)
        }
    }

    func testRefusesNonFiniteNumbers() {
        XCTAssertThrowsError(try AuditValue.double(.nan).canonicalJSON())
        XCTAssertThrowsError(try AuditValue.double(.infinity).canonicalJSON())
    }
}
