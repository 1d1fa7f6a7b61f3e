// JSONValue: an order-preserving JSON tree, and the writer that renders it the way the chat template's
// `tojson` filter does.
//
// Why not JSONSerialization: tool schemas must come out in the order they were written (Python dicts keep
// insertion order and HF's `tojson` is `json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False)`, transformers/utils/chat_template_utils.py), and errors on tokenizer.json should name
// the byte offset. The parser lives in JSONValue+Parsing.swift.

/// A JSON value whose objects keep their members in source order.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int` (Python's `int`).
    case int(Int)
    /// Any other number (Python's `float`).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The member named `key`, or nil when this is not an object or has no such member (first one wins).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [JSONMember]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// One `"key": value` pair of an object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    /// Python's `json.dumps(self, ensure_ascii=False)`: separators `", "` and `": "`, members in order,
    /// non-ASCII characters written as themselves, floats as Python's `repr`.
    public var pythonJSON: String {
        var out = ""
        writePython(into: &out)
        return out
    }

    func writePython(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.pythonFloatRepr(d)
        case .string(let s): JSONValue.writePythonString(s, into: &out)
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
                JSONValue.writePythonString(member.key, into: &out)
                out += ": "
                member.value.writePython(into: &out)
            }
            out += "}"
        }
    }

    /// json.encoder.py_encode_basestring: escapes `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f`, and every other
    /// control character below U+0020 as `\u00XX`; nothing else (DEL and U+2028 stay literal).
    static func writePythonString(_ s: String, into out: inout String) {
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
            case 0..<0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Python's `float.__repr__` (shortest round-trip digits; fixed notation when the decimal exponent is
    /// in -4..<16, else `d.ddde+XX`), plus json.dumps' spellings of the non-finite values.
    static func pythonFloatRepr(_ d: Double) -> String {
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
