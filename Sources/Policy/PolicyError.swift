// The one error type of the Policy module. Every case names the place: a TOML line and column for
// syntax errors, a key path (`rule[2].target.titel`) for everything the schema rejects.

import Foundation

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
