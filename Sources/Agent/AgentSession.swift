// One session assembled from the real parts: a display, a policy, a planner, an audit log in a run
// directory, an approver. `understudy run`, `understudy demo` and the end-to-end tests all start
// sessions through here, so what the tests exercise is what the commands run.

import Actions
import Audit
import Desktop
import Foundation
import Logging
import Policy

public struct AgentSession {
    public var task: String
    public var policy: Policy
    public var planner: Planner
    public var display: Display
    public var runDirectory: URL
    public var signingKey: AuditSigningKey
    public var approver: Approver
    /// Overrides the policy's step budget only downwards (a flag cannot widen the policy).
    public var maxSteps: Int?
    public var modelPixelBudget: Int
    public var settle: SettlePolicy
    public var sandboxHash: String
    /// Wraps the input driver (tests count events with it).
    public var inputWrapper: ((InputDriver) -> InputDriver)?
    /// The dry run before each live action (`SandboxRehearsal` with a sandbox; otherwise nothing is rehearsed).
    public var rehearsal: Rehearsal = PassThroughRehearsal()
    /// Checkpoints and rollback of live steps (`RollbackController` with a sandbox; nil: none).
    public var stepGuard: LiveStepGuard?
    /// Audit records written right after session_start, before the first step: the sandbox stages'
    /// isolation checks (`AuditEvent.isolation`).
    public var preamble: [AuditEvent] = []
    /// The operator reviews the result of each live step that stands, and a rejection rolls it back
    /// (needs a step guard and an approver a person answers).
    public var reviewResults = false

    public static let defaultMaxSteps = 30
    public static let defaultMaxSeconds = 600.0
    public static let defaultMaxRefusals = 3

    public init(task: String, policy: Policy, planner: Planner, display: Display, runDirectory: URL,
                signingKey: AuditSigningKey, approver: Approver = AutoApprover(), maxSteps: Int? = nil,
                modelPixelBudget: Int = 1280 * 800, settle: SettlePolicy = SettlePolicy(), sandboxHash: String = "none") {
        self.task = task
        self.policy = policy
        self.planner = planner
        self.display = display
        self.runDirectory = runDirectory
        self.signingKey = signingKey
        self.approver = approver
        self.maxSteps = maxSteps
        self.modelPixelBudget = modelPixelBudget
        self.settle = settle
        self.sandboxHash = sandboxHash
    }

    /// The loop's budgets: the policy's, narrowed by the flags.
    public var configuration: LoopConfiguration {
        var steps = policy.budgets.maxSteps ?? AgentSession.defaultMaxSteps
        if let maxSteps { steps = min(steps, maxSteps) }
        var configuration = LoopConfiguration(task: task, maxSteps: steps,
                                              maxSeconds: policy.budgets.maxSeconds ?? AgentSession.defaultMaxSeconds,
                                              maxConsecutiveRefusals: policy.budgets.maxConsecutiveDenials ?? AgentSession.defaultMaxRefusals,
                                              modelPixelBudget: modelPixelBudget, settle: settle,
                                              approvalDirectory: runDirectory.appendingPathComponent("approvals").path)
        configuration.reviewResults = reviewResults
        return configuration
    }

    /// Creates the run directory and its audit log. The command line opens it before the sandbox
    /// stages start, so that their isolation checks — and a refusal — are in the session's trail;
    /// `run(audit:)` or `refuse(audit:status:)` continues it.
    public func openAudit() throws -> AuditLogSink {
        let log: AuditLog
        do { log = try AuditLog.create(runDir: runDirectory, signingKey: signingKey) } catch {
            throw AgentError.audit("cannot create the audit log in \(runDirectory.path): \(error)")
        }
        return AuditLogSink(log: log, weightHash: planner.weightHash, sandboxHash: sandboxHash, versions: ["understudy": AgentSession.version])
    }

    /// Ends a session that never ran a step (its sandbox refused to start): session_start, the
    /// preamble (the isolation checks, the failed one with the reason), session_end with `status`.
    /// The trail verifies; nothing was executed.
    public func refuse(audit sink: AuditLogSink, status: String) throws {
        try sink.record(.sessionStart(task: task, model: planner.identity, policyHash: policy.hash,
                                      maxSteps: configuration.maxSteps))
        for event in preamble { try sink.record(event) }
        try sink.record(.sessionEnd(status: status, steps: 0))
    }

    /// Runs the loop into `audit` (opened here when nil), the preamble right after session_start.
    /// Throws only when the run directory or the log cannot be set up (nothing has run then); every
    /// other ending is in the result.
    public func run(audit: AuditLogSink? = nil, logger: Logger = Logger(label: "understudy.agent")) async throws -> SessionResult {
        let sink = try audit ?? openAudit()
        let screen = DisplayScreen(display: display)
        let input = inputWrapper?(screen) ?? screen
        let loop = AgentLoop(planner: planner, screen: screen, input: input, authorizer: PolicyAuthorizer(policy: policy),
                             approver: approver, rehearsal: rehearsal, stepGuard: stepGuard, audit: sink, encoder: ImagingEncoder(), configuration: configuration,
                             logger: logger)
        loop.preamble = preamble
        return await loop.run()
    }

    public static let version = "0.1.0"
}
