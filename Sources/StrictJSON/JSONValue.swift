// JSONValue: the one JSON tree of the project, for text that comes from outside (model output, action
// arguments, tokenizer.json, tool schemas, audit lines) and for what we write back out.
//
// Foundation's JSONSerialization hands back NSNumber for both `true` and `1`, accepts duplicate keys
// (last wins), has no depth limit and forgets member order; each of those is a way for a confused or
// hostile input to slip a value past a type check, or to change a hash. So:
//   - objects keep their members in source order (tool schemas must come out as they were written);
//   - numbers keep their literal text (`"447"`, `"-1.5e3"`); typed accessors read them as Int, Int64
//     or Double, and the writers decide their spelling (JSONValue+Writing.swift);
//   - the parser (JSONValue+Parsing.swift) rejects duplicate keys, bounds nesting, rejects invalid
//     UTF-8 and lone surrogates, and reports the byte offset of every error.
//
// Merged from the readers that Actions, Tokenization and Audit each had.

/// A parsed JSON value. Objects keep their members in source order.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The literal text of the number as written (`"447"`, `"-1.5e3"`); see `.int(_:)`, `.double(_:)`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(1); h.combine(b)
        case .number(let n): h.combine(2); h.combine(n)
        case .string(let s): h.combine(3); h.combine(s)
        case .array(let a): h.combine(4); h.combine(a)
        case .object(let o): h.combine(5); h.combine(o.count); for m in o { h.combine(m.key); h.combine(m.value) }
        }
    }

    /// A number from an integer (its decimal spelling).
    public static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(String(value)) }

    /// A number from a Double, spelled the way Swift prints it (shortest round trip, always with "." or
    /// "e", so it never reads back as an integer). Non-finite values are spelled `nan`/`inf`, which no
    /// parser accepts; the canonical writer refuses them.
    public static func double(_ value: Double) -> JSONValue { .number(value.description) }

    /// An object from a dictionary, members sorted by key (by UTF-8 bytes, as the canonical writer
    /// sorts them), so that even the stored-order writers give one spelling.
    public static func object(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.map { (key: $0.key, value: $0.value) }
            .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) })
    }

    /// The member named `key` of an object (the first, when a built value repeats it), or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
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

    /// An object's members by key (the first of a repeated key, which only a built value can have).
    public var dictionaryValue: [String: JSONValue]? {
        guard case .object(let o) = self else { return nil }
        return Dictionary(o.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Whether this is a number written without fraction or exponent (Python's `int`): digits after an
    /// optional "-".
    public var isIntegerLiteral: Bool {
        guard case .number(let text) = self else { return false }
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The number when it is written as an integer (no fraction or exponent) that fits `Int`.
    /// `3.0` and `1e2` are not integers here: a count or an id must be written as one.
    public var intValue: Int? {
        guard isIntegerLiteral, case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// As `intValue`, for `Int64`.
    public var int64Value: Int64? {
        guard isIntegerLiteral, case .number(let text) = self else { return nil }
        return Int64(text)
    }

    /// The number as a finite Double (integers too), or nil when it is not a number or does not fit.
    public var doubleValue: Double? {
        guard case .number(let text) = self, let d = Double(text), d.isFinite else { return nil }
        return d
    }
}

/// One `"key": value` pair of an object. A labelled tuple, so objects are written as literals:
/// `.object([("action", .string("type")), ("text", .string(t))])`.
public typealias JSONMember = (key: String, value: JSONValue)
