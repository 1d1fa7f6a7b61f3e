/// Why a proposed action was rejected before it could be executed. Every case says what was wrong in
/// words that can be shown to the model on its next turn.

import StrictJSON

public enum ActionError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    case notAnObject(found: String)
    case missingParameter(action: String, parameter: String)
    case unexpectedParameter(action: String, parameter: String)
    case wrongType(parameter: String, expected: String, found: String)
    case unknownAction(String)
    case invalidValue(parameter: String, reason: String)
    case coordinateOutOfRange(parameter: String, value: Double, limit: Double)
    case emptyChord
    case unknownKey(String)
    case wrongTool(String)

    public var description: String {
        switch self {
        case .invalidJSON(let e): return e.description
        case .notAnObject(let found): return "expected a JSON object, found \(found)"
        case .missingParameter(let a, let p): return "action \(a) requires \"\(p)\""
        case .unexpectedParameter(let a, let p): return "action \(a) does not take \"\(p)\""
        case .wrongType(let p, let expected, let found): return "\"\(p)\" must be \(expected), found \(found)"
        case .unknownAction(let a): return "unknown action \"\(a)\" (expected one of \(ActionKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidValue(let p, let reason): return "\"\(p)\": \(reason)"
        case .coordinateOutOfRange(let p, let v, let limit):
            return "\"\(p)\" value \(Point.format(v)) is outside 0…\(Point.format(limit))"
        case .emptyChord: return "a key action needs at least one key"
        case .unknownKey(let k): return "unknown key \"\(k)\""
        case .wrongTool(let name): return "unknown tool \"\(name)\" (only computer_use is available)"
        }
    }
}
