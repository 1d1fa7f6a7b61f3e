// Audit lines as StrictJSON values, and their canonical encoding.
//
// Canonical form (what is hashed and what `audit verify` re-serializes and compares byte for byte) is
// StrictJSON's `canonicalJSON()`:
//   - objects: members sorted by key (by UTF-8 bytes), no whitespace;
//   - strings: `"` and `\` escaped, U+0000–U+001F as \b \t \n \f \r or \u00XX (lower-case hex),
//     everything else (including "/" and non-ASCII) written as raw UTF-8;
//   - integers: decimal Int64 without leading zeros or "+";
//   - floating point: Swift's shortest round-trip spelling (`Double.description`), which always
//     contains "." or "e", so an integer and a float never share a spelling; NaN and ±inf are refused;
//   - true, false, null.
// A line that parses but does not re-serialize to the same bytes is not canonical and fails verification.
//
// Reading trusts nothing (files are read back by `verify` after they may have been tampered with):
// StrictJSON's parser rejects duplicate keys, trailing bytes and invalid UTF-8 and bounds the depth;
// on top of it every integer must fit Int64 and every other number must be finite.
// (This replaced Audit's own JSONValue type and reader; the bytes on disk are unchanged.)

import Foundation
import StrictJSON

public enum AuditJSON {
    /// Nesting levels 0…63 (64 levels).
    static let maxDepth = 63

    /// Parses one JSON document from `bytes` (a single log line without its newline).
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, maxDepth: maxDepth) } catch let error as JSONParseError {
            throw AuditError.malformedJSON(offset: error.offset, message: error.message)
        }
        try checkNumbers(value)
        return value
    }

    public static func parse(_ text: String) throws -> JSONValue { try parse(Array(text.utf8)) }

    /// The canonical compact encoding described at the top of this file.
    /// Throws `AuditError.nonFiniteNumber` for NaN or infinite doubles, which JSON cannot carry.
    public static func encode(_ value: JSONValue) throws -> String {
        do { return try value.canonicalJSON() } catch JSONWriteError.nonFiniteNumber {
            throw AuditError.nonFiniteNumber
        } catch JSONWriteError.integerOutOfRange(let text) {
            throw AuditError.malformedJSON(offset: 0, message: "integer out of range \(text)")
        }
    }

    /// Integers must fit Int64 and other numbers must be finite, as the canonical form requires.
    private static func checkNumbers(_ value: JSONValue) throws {
        switch value {
        case .number(let text):
            if value.isIntegerLiteral {
                guard value.int64Value != nil else { throw AuditError.malformedJSON(offset: 0, message: "integer out of range \(text)") }
            } else {
                guard value.doubleValue != nil else { throw AuditError.malformedJSON(offset: 0, message: "bad number \(text)") }
            }
        case .array(let items): try items.forEach(checkNumbers)
        case .object(let members): try members.forEach { try checkNumbers($0.value) }
        case .null, .bool, .string: break
        }
    }
}
