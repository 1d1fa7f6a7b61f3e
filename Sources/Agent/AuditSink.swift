// The audit trail as the loop sees it. One case per record the loop writes; the command line adapts
// them to `Audit`'s records. A thrown error stops the session (exit code 5) and is never retried:
// an action whose decision could not be recorded must not run.

import Actions
import Sandbox

public enum AuditEvent: Equatable, Sendable {
    case sessionStart(task: String, model: String, policyHash: String, maxSteps: Int)
    case observation(step: Int, screenshotBlob: String, width: Int, height: Int)
    /// `imageBlob`: the screenshot exactly as the model received it (scaled to the pixel budget).
    case modelCall(step: Int, model: String, promptBlob: String, imageBlob: String, responseBlob: String, milliseconds: Int)
    /// A parsed proposal: the action as the model wrote it (grid) and mapped (pixels), with the pixel
    /// action's canonical JSON and digest, which the decision, approval and execution cite.
    case proposal(step: Int, actionJSON: String, actionDigest: String, gridActionJSON: String, thought: String)
    /// A reply that was not a valid proposal; nothing of it is executed.
    case rejectedProposal(step: Int, reason: String, responseBlob: String)
    case decision(step: Int, actionDigest: String, verdict: Authorization.Verdict, ruleIDs: [String], reason: String,
                  policyHash: String, screenshotBlob: String)
    /// The policy's decision on one input of a compensation (`compensation` in the request), made
    /// before any of the compensation's events is sent; `compensates` is the digest of the live step
    /// being undone, `actionJSON`/`actionDigest` the compensation input's. It authorizes no execution.
    case compensationDecision(step: Int, compensates: String, actionJSON: String, actionDigest: String,
                              verdict: Authorization.Verdict, ruleIDs: [String], reason: String, policyHash: String,
                              screenshotBlob: String)
    case approval(step: Int, approver: String, approved: Bool, actionDigest: String, screenshotBlob: String,
                  annotatedBlob: String?)
    /// `effectsJSON`: what the rehearsal observed (`Sandbox.RehearsalEffects` as JSON), stored as a
    /// structured `effects` member; nil when nothing was rehearsed.
    case rehearsal(step: Int, actionDigest: String, report: String, effectsJSON: String? = nil)
    case aborted(step: Int, actionDigest: String, reason: String)
    case execution(step: Int, actionDigest: String, policyHash: String, events: [String], milliseconds: Int)
    case settle(step: Int, stable: Bool, polls: Int, milliseconds: Int)
    /// The live outcome compared with the rehearsed one (`outcome`: matched, not-verified, rolled-back).
    case verification(step: Int, actionDigest: String, outcome: String, detail: String)
    /// A rollback plan before a live step (`kind` "plan", `irreversible` when nothing can undo it), or
    /// one step of a rollback after it. `ruleIDs`: for a compensation, the rules of the decisions on it.
    case rollback(step: Int, actionDigest: String, kind: String, detail: String, ok: Bool, irreversible: Bool,
                  ruleIDs: [String]? = nil)
    /// The start-up isolation check of one sandbox stage (`stage`: live or rehearsal, on `display`),
    /// every probe with its outcome; `started` is false when the check (or the set-up after it) refused
    /// the run, with the reason in `detail`. Written right after session_start, before any step.
    case isolation(stage: String, display: String, probes: [IsolationProbe], started: Bool, detail: String)
    /// The operator's review of a live step's result (`kept` false: they rejected it, and the step is
    /// rolled back), bound to the step's action digest and the after-step screenshot.
    case resultReview(step: Int, actionDigest: String, approver: String, kept: Bool, screenshotBlob: String)
    case sessionEnd(status: String, steps: Int)
}

public protocol AuditSink: AnyObject {
    /// Stores bytes content-addressed and returns their SHA-256 in hex.
    func storeBlob(_ bytes: [UInt8]) throws -> String
    /// Appends one record; durable records (decisions, approvals, executions) are on disk when it returns.
    func record(_ event: AuditEvent) throws
}
