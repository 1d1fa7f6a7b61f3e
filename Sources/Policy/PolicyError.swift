// The one error type of the Policy module. Every case names the place: a TOML line and column for
// syntax errors, a key path (`rule[2].target.titel`) for everything the schema rejects.

import Foundation
import StrictTOML

public enum PolicyError: Error, Equatable, CustomStringConvertible {
    /// The TOML itself does not parse. Line and column are 1-based, as TOMLKit reports them.
    case syntax(line: Int, column: Int, message: String)
    case unknownKey(path: String, suggestion: String?)
    case missingKey(path: String)
    case wrongType(path: String, expected: String, found: String)
    case invalidValue(path: String, reason: String)
    case duplicateRuleID(id: String, path: String)
    case invalidRegex(path: String, reason: String)
    case unreadable(file: String, reason: String)
    /// An error inside a named file (the command line adds the file to what the parser found).
    indirect case inFile(String, PolicyError)

    public var description: String {
        switch self {
        case .syntax(let line, let column, let message): return "line \(line), column \(column): \(message)"
        case .unknownKey(let path, let suggestion):
            return "unknown key \(path)" + (suggestion.map { " (did you mean \($0)?)" } ?? "")
        case .missingKey(let path): return "missing required key \(path)"
        case .wrongType(let path, let expected, let found): return "\(path): expected \(expected), found \(found)"
        case .invalidValue(let path, let reason): return "\(path): \(reason)"
        case .duplicateRuleID(let id, let path): return "\(path): rule id \"\(id)\" is used twice"
        case .invalidRegex(let path, let reason): return "\(path): invalid regular expression: \(reason)"
        case .unreadable(let file, let reason): return "cannot read \(file): \(reason)"
        case .inFile(let file, let error): return "\(file): \(error)"
        }
    }
}

extension PolicyError {
    /// The same place in Policy's words (the file, when there is one, is added by `inFile`).
    init(_ error: TOMLSchemaError) {
        switch error {
        case .syntax(_, let line, let column, let message): self = .syntax(line: line, column: column, message: message)
        case .wrongType(let path, let expected, let found): self = .wrongType(path: path, expected: expected, found: found)
        case .invalidValue(let path, let reason): self = .invalidValue(path: path, reason: reason)
        case .unknownKey(let path, let suggestion): self = .unknownKey(path: path, suggestion: suggestion)
        case .missingKey(let path): self = .missingKey(path: path)
        }
    }

    /// Runs a schema reader, turning StrictTOML's errors into PolicyError; Policy's own pass through.
    static func mappingSchemaErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as TOMLSchemaError { throw PolicyError(error) }
    }
}
