// The value model of an audit record and its canonical encoding.
//
// Canonical form (what is hashed and what `audit verify` re-serializes and compares byte for byte):
//   - objects: members sorted by key (Unicode scalar order of the UTF-8 bytes), no whitespace;
//   - strings: `"` and `\` escaped, U+0000–U+001F as \b \t \n \f \r or \u00XX (lower-case hex),
//     everything else (including "/" and non-ASCII) written as raw UTF-8;
//   - integers: decimal Int64 without leading zeros or "+";
//   - floating point: Swift's shortest round-trip spelling (`Double.description`), which always
//     contains "." or "e", so an integer and a float never share a spelling; NaN and ±inf are refused;
//   - true, false, null.
// A line that parses but does not re-serialize to the same bytes is not canonical and fails verification.

import Foundation

public enum AuditValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([AuditValue])
    case object([String: AuditValue])

    public subscript(key: String) -> AuditValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int64? { if case .int(let i) = self { return i }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var objectValue: [String: AuditValue]? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [AuditValue]? { if case .array(let a) = self { return a }; return nil }

    /// The canonical compact encoding described at the top of this file.
    /// Throws for NaN or infinite doubles, which JSON cannot carry.
    public func canonicalJSON() throws -> String {
        var out = ""
        try write(into: &out)
        return out
    }

    private func write(into out: inout String) throws {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            guard d.isFinite else { throw AuditError.nonFiniteNumber }
            out += d.description
        case .string(let s): AuditValue.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                try item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            // Sort by UTF-8 bytes so the order does not depend on String's comparison rules.
            let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            for (i, member) in sorted.enumerated() {
                if i > 0 { out += "," }
                AuditValue.writeString(member.key, into: &out)
                out += ":"
                try member.value.write(into: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{09}": out += "\\t"
            case "\u{0A}": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\u{0D}": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension AuditValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: AuditValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, AuditValue)...) {
        var members: [String: AuditValue] = [:]
        for (k, v) in elements { members[k] = v }
        self = .object(members)
    }
}
