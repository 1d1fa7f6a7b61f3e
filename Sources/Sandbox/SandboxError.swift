// The one error type of the Sandbox target. Every case names the place (a key path in a definition,
// a file, an argv) so the message can be shown to an operator as it is.

import Foundation
import StrictTOML

public enum SandboxError: Error, Equatable, Sendable, CustomStringConvertible {
    // Definitions
    case definitionUnreadable(path: String, reason: String)
    case syntax(file: String, line: Int, column: Int, message: String)
    case unknownKey(path: String, suggestion: String?)
    case missingKey(path: String)
    case wrongType(path: String, expected: String, found: String)
    case invalidValue(path: String, reason: String)
    // Files in the sandbox home
    case homeFailed(path: String, reason: String)
    case seedMissing(path: String)
    // Processes
    case executableNotFound(name: String)
    case launchFailed(argv: [String], reason: String)
    case commandFailed(argv: [String], status: Int32, output: String)
    case timedOut(operation: String, seconds: Double)
    case alreadyRunning(pid: Int32)
    case procUnreadable(path: String, reason: String)
    // Isolation
    case isolationViolated(failed: [String])
    case probeSetupFailed(reason: String)
    // Rollback
    case restoreFailed(checkpoint: String, reason: String)

    public var description: String {
        switch self {
        case .definitionUnreadable(let p, let r): return "cannot read sandbox definition \(p): \(r)"
        case .syntax(let f, let l, let c, let m): return "\(f):\(l):\(c): \(m)"
        case .unknownKey(let p, let s):
            return "unknown key \"\(p)\"" + (s.map { " (did you mean \"\($0)\"?)" } ?? "")
        case .missingKey(let p): return "missing required key \"\(p)\""
        case .wrongType(let p, let e, let f): return "\"\(p)\" must be \(e), found \(f)"
        case .invalidValue(let p, let r): return "\"\(p)\": \(r)"
        case .homeFailed(let p, let r): return "sandbox home \(p): \(r)"
        case .seedMissing(let p): return "seed folder \(p) does not exist or is not a folder"
        case .executableNotFound(let n): return "executable \(n) not found"
        case .launchFailed(let a, let r): return "cannot start \(a.joined(separator: " ")): \(r)"
        case .commandFailed(let a, let s, let o):
            return "\(a.joined(separator: " ")) exited with status \(s)" + (o.isEmpty ? "" : ": \(o)")
        case .timedOut(let op, let s): return "\(op) did not finish within \(s) s"
        case .alreadyRunning(let pid): return "the sandboxed application is already running (pid \(pid))"
        case .procUnreadable(let p, let r): return "cannot read \(p): \(r)"
        case .isolationViolated(let failed): return "isolation check failed: \(failed.joined(separator: "; "))"
        case .probeSetupFailed(let r): return "isolation probe could not be set up: \(r)"
        case .restoreFailed(let c, let r): return "restoring checkpoint \(c) failed: \(r)"
        }
    }
}

extension SandboxError {
    /// The same place in Sandbox's words; `file` names the definition in syntax errors.
    init(_ error: TOMLSchemaError, file: String) {
        switch error {
        case .syntax(let f, let line, let column, let message):
            self = .syntax(file: f ?? file, line: line, column: column, message: message)
        case .wrongType(let path, let expected, let found): self = .wrongType(path: path, expected: expected, found: found)
        case .invalidValue(let path, let reason): self = .invalidValue(path: path, reason: reason)
        case .unknownKey(let path, let suggestion): self = .unknownKey(path: path, suggestion: suggestion)
        case .missingKey(let path): self = .missingKey(path: path)
        }
    }
}
