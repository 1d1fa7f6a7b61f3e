// The one error type of StrictTOML. Every case names the place: file, line and column for syntax
// errors, a key path (`rule[2].target.titel`) for everything a schema rejects. Policy and Sandbox map
// these onto their own error enums, which keep their own wording for the operator.

import Foundation

public enum TOMLSchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TOML itself does not parse. Line and column are 1-based, as TOMLKit reports them; 0 when
    /// TOMLKit gave no position. `file` is what the caller passed to `TOMLReader(parsing:file:)`.
    case syntax(file: String?, line: Int, column: Int, message: String)
    case wrongType(path: String, expected: String, found: String)
    case invalidValue(path: String, reason: String)
    case unknownKey(path: String, suggestion: String?)
    case missingKey(path: String)

    public var description: String {
        switch self {
        case .syntax(let file, let line, let column, let message):
            return (file.map { "\($0):" } ?? "") + "line \(line), column \(column): \(message)"
        case .wrongType(let path, let expected, let found): return "\(path): expected \(expected), found \(found)"
        case .invalidValue(let path, let reason): return "\(path): \(reason)"
        case .unknownKey(let path, let suggestion):
            return "unknown key \(path)" + (suggestion.map { " (did you mean \($0)?)" } ?? "")
        case .missingKey(let path): return "missing required key \(path)"
        }
    }
}
