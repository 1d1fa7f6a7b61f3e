// The three ways JSON leaves the program. Each is a format someone depends on byte for byte:
//
//   serialized     compact, members in stored order, numbers as their literal text, strings escaped
//                  minimally (`"`, `\`, \n \r \t, other controls as \u00XX). Action digests that approvals
//                  are bound to and the policy hash are computed over it; the spelling must not change.
//   canonicalJSON  the audit log's canonical form (what is hashed and what `audit verify` re-serializes
//                  and compares byte for byte):
//                    - objects: members sorted by key (by UTF-8 bytes), no whitespace;
//                    - strings: `"` and `\` escaped, U+0000–U+001F as \b \t \n \f \r or \u00XX (lower-case
//                      hex), everything else (including "/" and non-ASCII) as raw UTF-8;
//                    - integers (no fraction or exponent): decimal Int64 without leading zeros or "+";
//                    - other numbers: Swift's shortest round-trip spelling (`Double.description`), which
//                      always contains "." or "e", so an integer and a float never share a spelling;
//                      NaN, ±inf and integers beyond Int64 are refused;
//                    - true, false, null.
//   pythonJSON     Python's `json.dumps(x, ensure_ascii=False)`, which is what HF's `tojson` filter writes
//                  in the chat template (transformers/utils/chat_template_utils.py): separators ", " and
//                  ": ", members in order, non-ASCII as itself, integers as Python ints, other numbers as
//                  Python's float repr.

import Foundation

/// Why `canonicalJSON()` refused a value.
public enum JSONWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// NaN or an infinity (or a literal too large for a Double), which JSON cannot carry.
    case nonFiniteNumber(String)
    /// An integer literal outside Int64.
    case integerOutOfRange(String)

    public var description: String {
        switch self {
        case .nonFiniteNumber(let n): return "number \(n) is not finite"
        case .integerOutOfRange(let n): return "integer \(n) does not fit in 64 bits"
        }
    }
}

extension JSONValue {
    // MARK: Compact, stored order

    /// Compact serialization: no insignificant whitespace, members in their stored order, numbers as
    /// their literal text, strings escaped minimally (", \\ and control characters).
    public var serialized: String {
        var out = ""
        writeCompact(to: &out)
        return out
    }

    func writeCompact(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONValue.writeMinimalString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() { if i > 0 { out += "," }; v.writeCompact(to: &out) }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, m) in o.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeMinimalString(m.key, to: &out); out += ":"; m.value.writeCompact(to: &out)
            }
            out += "}"
        }
    }

    static func writeMinimalString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += "\\u" + hex4(u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    // MARK: Canonical, sorted keys

    /// The canonical compact encoding described at the top of this file. Throws `JSONWriteError` for
    /// numbers it cannot spell canonically.
    public func canonicalJSON() throws -> String {
        var out = ""
        try writeCanonical(into: &out)
        return out
    }

    /// The canonical spelling of a number's literal text.
    public static func canonicalNumber(_ text: String) throws -> String {
        if JSONValue.number(text).isIntegerLiteral {
            guard let i = Int64(text) else { throw JSONWriteError.integerOutOfRange(text) }
            return String(i)
        }
        guard let d = Double(text), d.isFinite else { throw JSONWriteError.nonFiniteNumber(text) }
        return d.description
    }

    private func writeCanonical(into out: inout String) throws {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += try JSONValue.canonicalNumber(n)
        case .string(let s): JSONValue.writeShortEscapedString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                try item.writeCanonical(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            // Sort by UTF-8 bytes so the order does not depend on String's comparison rules.
            let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            for (i, member) in sorted.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeShortEscapedString(member.key, into: &out)
                out += ":"
                try member.value.writeCanonical(into: &out)
            }
            out += "}"
        }
    }

    /// `"` and `\` escaped, the two-character escapes \b \t \n \f \r, every other control character below
    /// U+0020 as `\u00xx`; nothing else (DEL, U+2028, "/" and non-ASCII stay literal). This is both the
    /// audit log's canonical string form and json.encoder.py_encode_basestring.
    static func writeShortEscapedString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0..<0x20: out += "\\u" + hex4(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func hex4(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    // MARK: Python json.dumps

    /// Python's `json.dumps(self, ensure_ascii=False)`: separators `", "` and `": "`, members in order,
    /// non-ASCII characters written as themselves, integers that fit `Int` as ints, other numbers as
    /// Python's float `repr` (as `json.loads` would have read them).
    public var pythonJSON: String {
        var out = ""
        writePython(into: &out)
        return out
    }

    func writePython(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text):
            if let i = intValue { out += String(i) } else { out += JSONValue.pythonFloatRepr(Double(text) ?? .nan) }
        case .string(let s): JSONValue.writeShortEscapedString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.writePython(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += ", " }
                JSONValue.writeShortEscapedString(member.key, into: &out)
                out += ": "
                member.value.writePython(into: &out)
            }
            out += "}"
        }
    }

    /// Python's `float.__repr__` (shortest round-trip digits; fixed notation when the decimal exponent is
    /// in -4..<16, else `d.ddde+XX`), plus json.dumps' spellings of the non-finite values.
    public static func pythonFloatRepr(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also prints the shortest round-trip digits; only the layout differs.
        var text = "\(d.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        // value = 0.DIGITS × 10^decpt
        var digits = intPart + fracPart
        var decpt = intPart.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            decpt -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        var out = d.sign == .minus ? "-" : ""
        if decpt > -4 && decpt <= 16 {
            if decpt <= 0 {
                out += "0." + String(repeating: "0", count: -decpt) + digits
            } else if digits.count <= decpt {
                out += digits + String(repeating: "0", count: decpt - digits.count) + ".0"
            } else {
                let split = digits.index(digits.startIndex, offsetBy: decpt)
                out += digits[..<split] + "." + digits[split...]
            }
        } else {
            let first = digits.prefix(1)
            let rest = digits.dropFirst()
            out += first + (rest.isEmpty ? "" : "." + rest)
            let e = decpt - 1
            out += "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        }
        return out
    }
}
