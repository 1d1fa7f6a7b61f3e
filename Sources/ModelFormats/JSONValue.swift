// ModelFormats: a typed JSON tree for headers and configuration files from untrusted sources.
import Foundation

/// A parsed JSON value with exact types: booleans never read as numbers, numbers never as booleans
/// (Foundation's `JSONSerialization` returns `NSNumber` for both on Linux, which blurs `1` and `true`).
public enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    /// Parses `data`; the error message says what is wrong in words (NaN and Infinity are not JSON).
    public static func parse(_ data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            throw JSONParseError(reason: underlying ?? context.debugDescription)
        } catch {
            throw JSONParseError(reason: "\(error)")
        }
    }

    /// The value as an exact integer, if it is a number with no fractional part in Int range.
    public var integer: Int? {
        guard case let .number(d) = self, d.isFinite, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    /// A short name of the kind of value, for error messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Why bytes are not JSON.
public struct JSONParseError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
