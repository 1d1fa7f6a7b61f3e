// The one error type of the Tokenization module. tokenizer.json is untrusted input: every way it can be
// wrong ends here, naming the place, and never in a trap.

public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// The bytes are not JSON; `offset` is the byte where parsing stopped.
    case invalidJSON(offset: Int, reason: String)
    /// A required member is absent (`path` like `model.merges`).
    case missingField(path: String)
    /// A member has the wrong JSON type.
    case wrongType(path: String, expected: String)
    /// A well-formed setting this implementation does not provide (another model type, pre-tokenizer, …).
    case unsupported(path: String, value: String)
    /// A vocabulary entry with a negative id or two tokens sharing one id.
    case invalidVocabularyEntry(token: String, id: Int, reason: String)
    /// `model.merges[index]` is not a pair of two tokens.
    case malformedMerge(index: Int, value: String)
    /// `model.merges[index]` names a token that is not in the vocabulary.
    case unknownMergeToken(index: Int, token: String)
    /// `model.merges[index]` would produce a token that is not in the vocabulary.
    case mergeResultNotInVocabulary(index: Int, merged: String)
    /// `added_tokens[index]` is malformed.
    case invalidAddedToken(index: Int, reason: String)
    /// A file named on the command line (`--file`) or a folder without tokenizer.json.
    case fileNotFound(path: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidJSON(let offset, let reason): return "tokenizer.json is not valid JSON at byte \(offset): \(reason)"
        case .missingField(let path): return "tokenizer.json: missing \(path)"
        case .wrongType(let path, let expected): return "tokenizer.json: \(path) must be \(expected)"
        case .unsupported(let path, let value): return "tokenizer.json: unsupported \(path) = \(value)"
        case .invalidVocabularyEntry(let token, let id, let reason):
            return "tokenizer.json: vocabulary entry \(token.debugDescription) → \(id): \(reason)"
        case .malformedMerge(let index, let value):
            return "tokenizer.json: model.merges[\(index)] is not a pair of tokens: \(value)"
        case .unknownMergeToken(let index, let token):
            return "tokenizer.json: model.merges[\(index)] uses \(token.debugDescription), which is not in the vocabulary"
        case .mergeResultNotInVocabulary(let index, let merged):
            return "tokenizer.json: model.merges[\(index)] makes \(merged.debugDescription), which is not in the vocabulary"
        case .invalidAddedToken(let index, let reason): return "tokenizer.json: added_tokens[\(index)]: \(reason)"
        case .fileNotFound(let path): return "no such file: \(path)"
        }
    }
}
