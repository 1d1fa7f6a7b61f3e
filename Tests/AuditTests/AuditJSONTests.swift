// The audit log's JSON: StrictJSON's canonical writer plus Audit's number rules. (Was AuditValueTests;
// the same assertions, over the StrictJSON value that replaced AuditValue.)

import StrictJSON
import XCTest
@testable import Audit

final class AuditJSONTests: XCTestCase {
    func testCanonicalFormSortsKeysAndEscapes() throws {
        let value: JSONValue = .object(["b": .int(1), "a": .object(["x\n\"y\\": .bool(true), "c": .null]),
                                        "é": .double(0.5), "ctl": .string("\u{01}/")])
        XCTAssertEqual(try AuditJSON.encode(value),
                       #"{"a":{"c":null,"x\n\"y\\":true},"b":1,"ctl":"\u0001/","é":0.5}"#)
    }

    func testRoundTripIsByteIdentical() throws {
        let text = #"{"a":[1,-2,3.25,1e+20,"\u0000\t"],"b":{"":false},"c":"日本"}"#
        let value = try AuditJSON.parse(text)
        XCTAssertEqual(try AuditJSON.encode(value), text)
    }

    func testIntegerAndFloatKeepDistinctSpellings() throws {
        XCTAssertEqual(try AuditJSON.parse("3"), .int(3))
        XCTAssertEqual(try AuditJSON.parse("3.0"), .double(3))
        XCTAssertEqual(try AuditJSON.encode(.double(3)), "3.0")
    }

    func testRejectsMalformedInput() {
        for bad in [#"{"a":1,"a":2}"#, "[1,]", "01", "\"abc", "{\"a\":1} x", "nan", "\"\u{01}\"",
                    "99999999999999999999", #""\ud800""#, String(repeating: "[", count: 100)] {
            XCTAssertThrowsError(try AuditJSON.parse(bad), bad)
        }
        // 64 levels are accepted, 65 are not (as AuditValue's reader did).
        let deep = { (n: Int) in String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        XCTAssertNoThrow(try AuditJSON.parse(deep(64)))
        XCTAssertThrowsError(try AuditJSON.parse(deep(65)))
    }

    func testRefusesNonFiniteNumbers() {
        XCTAssertThrowsError(try AuditJSON.encode(.double(.nan))) { XCTAssertEqual($0 as? AuditError, .nonFiniteNumber) }
        XCTAssertThrowsError(try AuditJSON.encode(.double(.infinity))) { XCTAssertEqual($0 as? AuditError, .nonFiniteNumber) }
    }
}
