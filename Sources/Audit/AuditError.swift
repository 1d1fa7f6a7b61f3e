// The one error type of the Audit module. Every case says where: a path, a line, a seq, a blob.

import Foundation

public enum AuditError: Error, Equatable, CustomStringConvertible {
    /// A JSON line could not be read; `offset` is the byte within the line.
    case malformedJSON(offset: Int, message: String)
    case nonFiniteNumber
    /// A file operation failed; `errno` as reported by the system.
    case io(operation: String, path: String, errno: Int32)
    case runDirectoryExists(path: String)
    case logMissing(path: String)
    /// The signing key must live outside the run directory, or whoever can edit the log could re-sign it.
    case keyInsideRunDirectory(key: String, runDirectory: String)
    case keyFile(path: String, problem: String)
    case keyMismatch(expected: String, found: String)
    /// Append refused: the log already failed once, or was closed.
    case logUnusable(reason: String)
    case firstRecordMustBeSessionStart(type: String)
    case recordAfterSessionEnd(type: String)
    case reservedType(String)
    /// The log on disk is damaged before its final line; it is never repaired.
    case damaged(line: Int, seq: Int64?, problem: String)

    public var description: String {
        switch self {
        case .malformedJSON(let offset, let message): return "malformed JSON at byte \(offset): \(message)"
        case .nonFiniteNumber: return "NaN or infinity cannot be written to the audit log"
        case .io(let op, let path, let errno):
            return "\(op) failed on \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case .runDirectoryExists(let path): return "run directory already holds an audit log: \(path)"
        case .logMissing(let path): return "no audit log at \(path)"
        case .keyInsideRunDirectory(let key, let dir):
            return "signing key \(key) lies inside the run directory \(dir); keep it outside"
        case .keyFile(let path, let problem): return "signing key \(path): \(problem)"
        case .keyMismatch(let expected, let found): return "public key mismatch: expected \(expected), found \(found)"
        case .logUnusable(let reason): return "audit log refuses appends: \(reason)"
        case .firstRecordMustBeSessionStart(let type): return "first record must be session_start, not \(type)"
        case .recordAfterSessionEnd(let type): return "\(type) appended after session_end"
        case .reservedType(let type): return "record type \(type) is written by the log itself"
        case .damaged(let line, let seq, let problem):
            return "audit log damaged at line \(line)\(seq.map { " (seq \($0))" } ?? ""): \(problem)"
        }
    }
}
