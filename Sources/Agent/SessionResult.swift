// How a session ended, its exit code, and the one-screen summary printed on stderr.
//
// Exit codes (documented in README.md; tests and scripts rely on them):
//   0  the model terminated with success, or answered
//   1  the model terminated with failure
//   2  usage or configuration error (set by the command line before a session starts)
//   3  a budget ran out (steps or wall-clock time)
//   4  too many refusals in a row (denied, not approved, or rejected replies)
//   5  the audit trail could not be written
//   6  the model backend failed (server down, transcript exhausted)
//   7  the desktop failed (capture or input)
//   8  the policy, an approver or the rehearsal failed

import Foundation

public enum SessionOutcome: Equatable, Sendable {
    case succeeded
    case answered(String)
    case taskFailed
    case budgetExhausted(String)
    case tooManyRefusals(Int)
    case auditFailed(String)
    case plannerFailed(String)
    case desktopFailed(String)
    case safetyFailed(String)
    /// A live step diverged from its rehearsal and could not be rolled back.
    case rollbackFailed(String)

    public var exitCode: Int32 {
        switch self {
        case .succeeded, .answered: return 0
        case .taskFailed: return 1
        case .budgetExhausted: return 3
        case .tooManyRefusals: return 4
        case .auditFailed: return 5
        case .plannerFailed: return 6
        case .desktopFailed: return 7
        case .safetyFailed: return 8
        case .rollbackFailed: return 9
        }
    }

    /// The `status` of the session_end record.
    public var status: String {
        switch self {
        case .succeeded: return "success"
        case .answered: return "answered"
        case .taskFailed: return "task_failed"
        case .budgetExhausted: return "budget_exhausted"
        case .tooManyRefusals: return "too_many_refusals"
        case .auditFailed: return "audit_failed"
        case .plannerFailed: return "model_failed"
        case .desktopFailed: return "desktop_failed"
        case .safetyFailed: return "safety_failed"
        case .rollbackFailed: return "rollback_failed"
        }
    }

    public var headline: String {
        switch self {
        case .succeeded: return "done: the model reports success"
        case .answered(let a): return "answered: \(a)"
        case .taskFailed: return "stopped: the model reports that the task failed"
        case .budgetExhausted(let what): return "stopped: \(what)"
        case .tooManyRefusals(let n): return "stopped: \(n) refusals in a row"
        case .auditFailed(let m): return "stopped: the audit trail failed (\(m))"
        case .plannerFailed(let m): return "stopped: the model failed (\(m))"
        case .desktopFailed(let m): return "stopped: the desktop failed (\(m))"
        case .safetyFailed(let m): return "stopped: \(m)"
        case .rollbackFailed(let m): return "stopped: a rollback failed (\(m))"
        }
    }
}

public struct SessionResult: Equatable, Sendable {
    public var outcome: SessionOutcome
    public var task: String
    public var model: String
    /// Model turns taken.
    public var steps: Int
    public var executed: Int
    public var denied: Int
    public var rejected: Int
    public var notes: [StepNote]
    public var seconds: Double

    public var exitCode: Int32 { outcome.exitCode }

    /// At most 24 lines: what happened, and the last steps.
    public func summary(runDirectory: String? = nil) -> String {
        var lines = [
            "understudy: \(outcome.headline)",
            "  task:   \(AgentError.excerpt(task, 100))",
            "  model:  \(model)",
            "  steps:  \(steps) (\(executed) executed, \(denied) refused, \(rejected) rejected replies) in \(String(format: "%.1f", seconds)) s",
        ]
        if let runDirectory { lines.append("  audit:  \(runDirectory)") }
        let shown = notes.suffix(14)
        if notes.count > shown.count { lines.append("  … \(notes.count - shown.count) earlier steps") }
        lines += shown.map { "  " + AgentError.excerpt($0.text, 150) }
        lines.append("  exit code \(exitCode)")
        return lines.joined(separator: "\n")
    }
}
