// Qwen3VL: typed field access on a JSON object, with the dotted path of each field in errors.
// The JSON itself is StrictJSON's (`JSONValue.parse`: duplicate keys rejected, nesting bounded, byte
// offsets in errors); this only reads typed fields out of the parsed tree and names them in errors.
import Foundation
import StrictJSON

/// One JSON object of a configuration file plus where it sits (`text_config.rope_parameters`), so an
/// error can say exactly which field is wrong and why.
struct JSONFields {
    let values: [String: JSONValue]
    let file: String
    let path: String

    init(values: [String: JSONValue], file: String, path: String) {
        self.values = values
        self.file = file
        self.path = path
    }

    /// A whole file's bytes through StrictJSON's parser; the top level must be an object. A duplicate
    /// key is an error here (the parser's "duplicate member"), not a silent last-one-wins.
    init(data: Data, file: String) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch let error as JSONParseError {
            throw Qwen3VLError.configurationUnreadable(
                path: file, reason: "not valid JSON (\(error.message) at byte \(error.offset)); note that NaN and Infinity are not JSON")
        }
        guard let object = value.dictionaryValue else {
            throw Qwen3VLError.configurationUnreadable(path: file, reason: "the top level is \(article(value)), not an object")
        }
        self.init(values: object, file: file, path: "")
    }

    private func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func fail(_ key: String, _ reason: String) -> Qwen3VLError {
        .invalidConfiguration(file: file, field: field(key), reason: reason)
    }

    private func present(_ key: String) -> JSONValue? {
        guard let v = values[key], !v.isNull else { return nil }
        return v
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = integer(v) else { throw fail(key, "expected an integer, got \(describe(v))") }
        return i
    }

    func int(_ key: String) throws -> Int {
        guard let i = try optionalInt(key) else { throw fail(key, "missing") }
        return i
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "expected a finite number, got \(describe(v))") }
        return d
    }

    func double(_ key: String) throws -> Double {
        guard let d = try optionalDouble(key) else { throw fail(key, "missing") }
        return d
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard case let .bool(b) = v else { throw fail(key, "expected true or false, got \(describe(v))") }
        return b
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard case let .string(s) = v else { throw fail(key, "expected a string, got \(describe(v))") }
        return s
    }

    func string(_ key: String) throws -> String {
        guard let s = try optionalString(key) else { throw fail(key, "missing") }
        return s
    }

    func optionalIntArray(_ key: String) throws -> [Int]? {
        guard let v = present(key) else { return nil }
        guard case let .array(items) = v else { throw fail(key, "expected an array of integers, got \(describe(v))") }
        return try items.map { item in
            guard let i = integer(item) else { throw fail(key, "expected an array of integers, found \(describe(item))") }
            return i
        }
    }

    func optionalDoubleArray(_ key: String) throws -> [Double]? {
        guard let v = present(key) else { return nil }
        guard case let .array(items) = v else { throw fail(key, "expected an array of numbers, got \(describe(v))") }
        return try items.map { item in
            guard let d = item.doubleValue else { throw fail(key, "expected an array of finite numbers, found \(describe(item))") }
            return d
        }
    }

    func intArray(_ key: String) throws -> [Int] {
        guard let a = try optionalIntArray(key) else { throw fail(key, "missing") }
        return a
    }

    /// `eos_token_id` is an integer in some files and a list in others.
    func optionalIntOrIntArray(_ key: String) throws -> [Int]? {
        guard let v = present(key) else { return nil }
        if let i = integer(v) { return [i] }
        return try optionalIntArray(key)
    }

    func optionalObject(_ key: String) throws -> JSONFields? {
        guard let v = present(key) else { return nil }
        guard let o = v.dictionaryValue else { throw fail(key, "expected an object, got \(describe(v))") }
        return JSONFields(values: o, file: file, path: field(key))
    }

    func object(_ key: String) throws -> JSONFields {
        guard let o = try optionalObject(key) else { throw fail(key, "missing") }
        return o
    }

    /// An integer written as one (StrictJSON's `intValue`: no fraction or exponent, so `3.0` is refused)
    /// and below 9·10^15 in magnitude, so that arithmetic on fields before their range checks (the sum of
    /// `mrope_section`, products of sizes) cannot overflow.
    private func integer(_ v: JSONValue) -> Int? {
        guard let i = v.intValue, i.magnitude < 9_000_000_000_000_000 else { return nil }
        return i
    }

    private func describe(_ v: JSONValue) -> String {
        switch v {
        case let .number(text): return text
        case let .string(s): return "\"\(s.prefix(40))\""
        case let .bool(b): return "\(b)"
        default: return article(v)
        }
    }
}

/// "an object", "a number", …: the value's type name for a sentence.
private func article(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .array, .object: return "an \(v.typeName)"
    default: return "a \(v.typeName)"
    }
}
