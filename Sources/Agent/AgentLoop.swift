// The loop: observe → propose → parse → map → authorize → approve → rehearse → execute → settle →
// record (docs/architecture.md, "The way one step flows").
//
// Invariants this file keeps:
// - Nothing reaches `InputDriver` that did not pass the parser, the grid mapping, an allow (or an ask
//   with an approval bound to the same action digest and screenshot, used once) and the rehearsal.
//   A rollback's compensation inputs are put to the same policy (marked as compensations) and sent
//   only on an allow, its decision audited first.
// - The decision record is written (and, by the sink, made durable) before any input event is sent;
//   an audit failure ends the session before the action runs.
// - A rejected reply, a denial, or a refused approval executes nothing; the model is told why on its
//   next turn, and too many in a row end the session.
// - Every loop has a step budget and a wall-clock budget; settling is bounded.
// - Every action is put to the policy. `wait`, `terminate` and `answer` send no input events, so once
//   allowed they are neither rehearsed nor recorded as executions.

import Actions
import Desktop
import Foundation
import Logging

public struct LoopConfiguration: Sendable {
    public var task: String
    public var maxSteps: Int
    public var maxSeconds: Double
    /// Denials, refused approvals and rejected replies in a row that end the session.
    public var maxConsecutiveRefusals: Int
    /// The most pixels of the screenshot sent to the model; larger screens are scaled down.
    public var modelPixelBudget: Int
    public var settle: SettlePolicy
    /// Where annotated screenshots for approval prompts are written (outside the agent's display).
    public var approvalDirectory: String?
    /// After each live step that stands (with a step guard), the approver is shown the result and may
    /// reject it, which rolls the step back.
    public var reviewResults = false

    public init(task: String, maxSteps: Int = 30, maxSeconds: Double = 600, maxConsecutiveRefusals: Int = 3,
                modelPixelBudget: Int = 1280 * 800, settle: SettlePolicy = SettlePolicy(),
                approvalDirectory: String? = nil) {
        self.task = task
        self.maxSteps = maxSteps
        self.maxSeconds = maxSeconds
        self.maxConsecutiveRefusals = maxConsecutiveRefusals
        self.modelPixelBudget = modelPixelBudget
        self.settle = settle
        self.approvalDirectory = approvalDirectory
    }
}

public final class AgentLoop {
    let planner: Planner
    let screen: Screen
    let input: InputDriver
    let authorizer: Authorizer
    let approver: Approver
    let rehearsal: Rehearsal
    /// Checkpoint before and comparison/rollback after each live step (nil: none).
    let stepGuard: LiveStepGuard?
    let audit: AuditSink
    let encoder: FrameEncoder
    let clock: Clock
    let configuration: LoopConfiguration
    let logger: Logger
    /// Records written right after session_start, before the first step (the stages' isolation checks).
    public var preamble: [AuditEvent] = []

    // Session state.
    var notes: [StepNote] = []
    var feedback: String?
    var refusalsInARow = 0
    private var executed = 0
    private var denied = 0
    private var rejected = 0
    private var typedCharacters = 0
    private var ledger = ApprovalLedger()
    private var started = 0.0
    /// When input actions ran, for the actions-per-minute budget.
    private var executionTimes: [Double] = []

    public init(planner: Planner, screen: Screen, input: InputDriver, authorizer: Authorizer, approver: Approver,
                rehearsal: Rehearsal = PassThroughRehearsal(), stepGuard: LiveStepGuard? = nil, audit: AuditSink, encoder: FrameEncoder,
                clock: Clock = SystemClock(), configuration: LoopConfiguration,
                logger: Logger = Logger(label: "understudy.agent")) {
        self.planner = planner
        self.screen = screen
        self.input = input
        self.authorizer = authorizer
        self.approver = approver
        self.rehearsal = rehearsal
        self.stepGuard = stepGuard
        self.audit = audit
        self.encoder = encoder
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// Why a step ended the session.
    struct Stop: Error { var outcome: SessionOutcome }

    /// Runs the session to its end. Never throws: every way of ending is an outcome with an exit code.
    public func run() async -> SessionResult {
        started = clock.now()
        var step = 0
        var outcome: SessionOutcome
        do {
            try record(.sessionStart(task: configuration.task, model: planner.identity,
                                     policyHash: authorizer.policyHash, maxSteps: configuration.maxSteps))
            for event in preamble { try record(event) }
            while true {
                if step >= configuration.maxSteps {
                    throw Stop(outcome: .budgetExhausted("step budget of \(configuration.maxSteps) used up"))
                }
                if clock.now() - started >= configuration.maxSeconds {
                    throw Stop(outcome: .budgetExhausted("time budget of \(Int(configuration.maxSeconds)) s used up"))
                }
                step += 1
                if let end = try await runStep(step) { outcome = end; break }
                if refusalsInARow >= configuration.maxConsecutiveRefusals {
                    throw Stop(outcome: .tooManyRefusals(refusalsInARow))
                }
            }
        } catch let stop as Stop {
            outcome = stop.outcome
        } catch {
            outcome = .safetyFailed("unexpected error: \(error)")
        }
        // The end record is best effort when the audit itself is what failed.
        if case .auditFailed = outcome {} else {
            do { try audit.record(.sessionEnd(status: outcome.status, steps: step)) } catch {
                outcome = .auditFailed("\(error)")
            }
        }
        return SessionResult(outcome: outcome, task: configuration.task, model: planner.identity, steps: step,
                             executed: executed, denied: denied, rejected: rejected, notes: notes,
                             seconds: clock.now() - started)
    }

    /// One step. Returns an outcome when the session ends with it.
    private func runStep(_ step: Int) async throws -> SessionOutcome? {
        // Observe.
        let frame = try desktop { try screen.capture() }
        let screenshotPNG = try desktop { try encoder.png(frame) }
        let screenshotBlob = try blob(screenshotPNG)
        try record(.observation(step: step, screenshotBlob: screenshotBlob, width: frame.width, height: frame.height))
        let modelImage = try desktop { try self.modelImage(frame, png: screenshotPNG) }

        // Propose.
        let request = PlanRequest(task: configuration.task, history: notes, feedback: feedback, screenshot: modelImage,
                                  secondsLeft: max(0, configuration.maxSeconds - (clock.now() - started)))
        feedback = nil
        let callStart = clock.now()
        let turn: PlannerTurn
        do { turn = try await planner.propose(request) } catch let e as AgentError {
            if case .timeBudgetExhausted = e { throw Stop(outcome: .budgetExhausted("\(e)")) }
            throw Stop(outcome: .plannerFailed("\(e)"))
        } catch {
            throw Stop(outcome: .plannerFailed("\(error)"))
        }
        let responseBlob = try blob(Array(turn.text.utf8))
        let imageBlob = modelImage.png == screenshotPNG ? screenshotBlob : try blob(modelImage.png)
        try record(.modelCall(step: step, model: planner.identity, promptBlob: try blob(Array(turn.prompt.utf8)),
                              imageBlob: imageBlob, responseBlob: responseBlob, milliseconds: milliseconds(since: callStart)))

        // Parse and map.
        let proposal: Proposal
        let action: Action
        do {
            proposal = try ToolCallParser.parse(turn.text)
            do { action = try GridMapping(width: frame.width, height: frame.height).toPixels(proposal.action) } catch let e as ActionError {
                throw AgentError.invalidAction(e)
            }
        } catch let e as AgentError where e.isRejection {
            try record(.rejectedProposal(step: step, reason: e.description, responseBlob: responseBlob))
            logger.info("step \(step): reply rejected: \(e.description)")
            rejected += 1
            refuse(StepNote(index: step, action: nil, outcome: .rejected(e.description)), feedback: e.feedbackForModel)
            return nil
        }
        let gridJSON = proposal.action.arguments.serialized
        let actionJSON = ActionDigest.canonicalJSON(action)
        let digest = ActionDigest.digest(action)
        try record(.proposal(step: step, actionJSON: actionJSON, actionDigest: digest, gridActionJSON: gridJSON,
                             thought: proposal.thought))
        logger.info("step \(step): proposed \(gridJSON)")

        // Authorize. Every action is put to the policy, including wait, terminate and answer (an answer
        // carries text off the screen); clicks without a coordinate target the window under the pointer.
        let observed = try observe(action, frame: frame, step: step)
        let (target, focused, targetPoint) = (observed.target, observed.focused, observed.targetPoint)
        var context = observed.context
        // Rehearsal: effect rules are decided after the rehearsal, before the live action (only actions
        // that send input events are rehearsed; for the others effect rules still fail safe).
        context.effectsPending = rehearsal.providesEffects && authorizer is EffectsAuthorizer && !action.kind.isObservationOnly
        // Rollback: whether the sandbox could undo the action, for rules on irreversible actions.
        context.irreversible = stepGuard.map { !$0.reversible(action) }
        let authorization: Authorization
        do { authorization = try authorizer.authorize(action, context: context) } catch {
            throw Stop(outcome: .safetyFailed("the policy failed: \(error)"))
        }
        try record(.decision(step: step, actionDigest: digest, verdict: authorization.verdict,
                             ruleIDs: authorization.ruleIDs, reason: authorization.reason,
                             policyHash: authorizer.policyHash, screenshotBlob: screenshotBlob))
        let because = authorization.ruleIDs.isEmpty
            ? authorization.reason : "\(authorization.reason) [\(authorization.ruleIDs.joined(separator: ", "))]"

        switch authorization.verdict {
        case .deny:
            logger.info("step \(step): denied: \(because)")
            denied += 1
            refuse(StepNote(index: step, action: gridJSON, outcome: .denied(because)),
                   feedback: "The policy refused your last action (\(gridJSON)): \(because). It was not performed; choose another way or stop.")
            return nil
        case .ask:
            // A rehearsal is ahead and the policy decides again on its effects: the operator is asked
            // once, after it, and is shown what the rehearsal did. Asking here as well would ask twice
            // for the same action (the second decision re-evaluates every rule, this one included).
            if context.effectsPending { break }
            // The operator is shown the window that receives the input: the focused one for keys and text.
            let recipient = action.kind == .key || action.kind == .type ? focused : target
            let approved = try await askForApproval(step: step, action: action, actionJSON: actionJSON, digest: digest,
                                                    frame: frame, screenshotBlob: screenshotBlob,
                                                    authorization: authorization, target: recipient, point: targetPoint)
            if let refusal = approved {
                logger.info("step \(step): not approved: \(refusal)")
                denied += 1
                refuse(StepNote(index: step, action: gridJSON, outcome: .notApproved(refusal)),
                       feedback: "Your last action (\(gridJSON)) was not approved by the operator: \(refusal). It was not performed.")
                return nil
            }
        case .allow:
            break
        }

        // Actions that send no input events: no rehearsal, no execution record.
        switch action {
        case .terminate(let status):
            notes.append(StepNote(index: step, action: gridJSON, outcome: .executed))
            return status == .success ? .succeeded : .taskFailed
        case .answer(let text):
            notes.append(StepNote(index: step, action: gridJSON, outcome: .executed))
            return .answered(text)
        case .wait(let seconds):
            let remaining = configuration.maxSeconds - (clock.now() - started)
            await clock.sleep(seconds: max(0, min(seconds, remaining)))
            notes.append(StepNote(index: step, action: gridJSON, outcome: .executed))
            refusalsInARow = 0
            return nil
        default:
            break
        }

        // Rehearse.
        let report: RehearsalReport
        do { report = try await rehearsal.rehearse(action, context: context) } catch {
            throw Stop(outcome: .safetyFailed("the rehearsal failed: \(error)"))
        }
        try record(.rehearsal(step: step, actionDigest: digest, report: report.summary, effectsJSON: try report.effectsJSON))
        if report.blocks {
            denied += 1
            refuse(StepNote(index: step, action: gridJSON, outcome: .denied("rehearsal: \(report.summary)")),
                   feedback: "Your last action (\(gridJSON)) was stopped by its rehearsal: \(report.summary). It was not performed.")
            try await keepRehearsalInStep(step: step, digest: digest, executed: false)
            return nil
        }
        // Rehearsal: the second decision, on the rehearsal's effects (docs/safety-design.md §3).
        if context.effectsPending, let effectsAuthorizer = authorizer as? EffectsAuthorizer {
            var second: Authorization
            do { second = try effectsAuthorizer.authorize(action, context: context, rehearsal: report) } catch {
                throw Stop(outcome: .safetyFailed("the policy failed on the rehearsal's effects: \(error)"))
            }
            // The ask put off until now is never dropped: an authorizer that allows on the effects what it
            // asked about before them still gets the operator's answer.
            if authorization.verdict == .ask && second.verdict == .allow {
                second = Authorization(verdict: .ask, ruleIDs: authorization.ruleIDs,
                                       reason: "\(authorization.reason) (asked before the rehearsal)")
            }
            try record(.decision(step: step, actionDigest: digest, verdict: second.verdict, ruleIDs: second.ruleIDs,
                                 reason: "after rehearsal: \(second.reason)", policyHash: authorizer.policyHash,
                                 screenshotBlob: screenshotBlob))
            let why = second.ruleIDs.isEmpty ? second.reason : "\(second.reason) [\(second.ruleIDs.joined(separator: ", "))]"
            var refusal: String?
            switch second.verdict {
            case .deny:
                refusal = "denied on its rehearsed effects: \(why)"
            case .ask:
                let recipient = action.kind == .key || action.kind == .type ? focused : target
                var shown = second
                shown.reason += "; its rehearsal: \(report.summary)"
                if let no = try await askForApproval(step: step, action: action, actionJSON: actionJSON, digest: digest,
                                                     frame: frame, screenshotBlob: screenshotBlob, authorization: shown,
                                                     target: recipient, point: targetPoint, round: "after-rehearsal") {
                    refusal = "not approved after its rehearsal: \(no)"
                }
            case .allow:
                break
            }
            if let refusal {
                logger.info("step \(step): \(refusal)")
                denied += 1
                refuse(StepNote(index: step, action: gridJSON, outcome: .denied(refusal)),
                       feedback: "Your last action (\(gridJSON)) was \(refusal). It was not performed; choose another way or stop.")
                try await keepRehearsalInStep(step: step, digest: digest, executed: false)
                return nil
            }
        }

        // Time of check, time of use: the window that will receive the input must still be the one
        // decided on (under the target for the pointer, the focused window for keys and text).
        var changed: String?
        if let targetPoint {
            let now = try desktop { try screen.window(atX: targetPoint.x, y: targetPoint.y) }
            if now?.id != target?.id { changed = "the window under the target changed between decision and execution" }
        }
        if action.kind == .key || action.kind == .type {
            let now = try desktop { try screen.focusedWindow() }
            if now?.id != focused?.id { changed = "the focused window changed between decision and execution" }
        }
        if let reason = changed {
            try record(.aborted(step: step, actionDigest: digest, reason: reason))
            try await keepRehearsalInStep(step: step, digest: digest, executed: false)
            notes.append(StepNote(index: step, action: gridJSON, outcome: .failed(reason)))
            feedback = "Your last action (\(gridJSON)) was not performed: \(reason). Look at the new screenshot."
            return nil
        }

        // Rollback: a checkpoint and the compensation plan before the live step (docs/safety-design.md §4).
        var rollbackPlan: RollbackPlan?
        if let stepGuard {
            do { rollbackPlan = try stepGuard.prepare(action) } catch {
                throw Stop(outcome: .safetyFailed("the checkpoint before the live step failed: \(error)"))
            }
            if let plan = rollbackPlan {
                try record(.rollback(step: step, actionDigest: digest, kind: "plan", detail: plan.summary, ok: true,
                                     irreversible: !plan.reversible))
                for warning in plan.warnings {
                    logger.warning("step \(step): \(warning)")
                    try record(.rollback(step: step, actionDigest: digest, kind: "remove-checkpoint", detail: warning, ok: false,
                                         irreversible: false))
                }
            }
        }

        // Execute.
        let executeStart = clock.now()
        let events: [String]
        do { events = try input.perform(action) } catch {
            throw Stop(outcome: .desktopFailed("input: \(error)"))
        }
        executed += 1
        executionTimes.append(clock.now())
        try record(.execution(step: step, actionDigest: digest, policyHash: authorizer.policyHash, events: events,
                              milliseconds: milliseconds(since: executeStart)))
        if let text = action.typedText { typedCharacters += text.count }

        // Settle.
        let settled = try await desktopAsync { try await Settler(policy: configuration.settle, clock: clock).settle(screen) }
        try record(.settle(step: step, stable: settled.stable, polls: settled.polls,
                           milliseconds: Int(settled.seconds * 1000)))
        // Rollback: compare the live outcome with the rehearsed one (and the post-conditions, and the
        // operator's review of the result); undo the step when one fails (AgentLoop+LiveStep.swift).
        if let stepGuard, let plan = rollbackPlan,
           try await verifyLiveStep(step: step, action: action, actionJSON: actionJSON, gridJSON: gridJSON, digest: digest,
                                    plan: plan, report: report, stepGuard: stepGuard) {
            return nil
        }
        try await keepRehearsalInStep(step: step, digest: digest, executed: true)
        notes.append(StepNote(index: step, action: gridJSON, outcome: .executed))
        refusalsInARow = 0
        return nil
    }

    /// What a decision on `action` looks at, observed now: the pointer, the window under the action's
    /// point (or the pointer, for pointer actions without one), the focused window, the counters.
    private func observe(_ action: Action, frame: Frame, step: Int) throws
        -> (context: ActionContext, target: WindowInfo?, focused: WindowInfo?, targetPoint: (x: Int, y: Int)?) {
        let point = action.point.map { (x: Int($0.x), y: Int($0.y)) }
        let pointer = try desktop { try screen.pointerPosition() }
        let usesPointer = point == nil && !action.kind.isObservationOnly && action.kind != .key && action.kind != .type
        let targetPoint = point ?? (usesPointer ? pointer : nil)
        let target = try desktop { try targetPoint.flatMap { try screen.window(atX: $0.x, y: $0.y) } }
        let focused = try desktop { try screen.focusedWindow() }
        let now = clock.now()
        executionTimes.removeAll { now - $0 > 60 }
        let context = ActionContext(screenWidth: frame.width, screenHeight: frame.height, pointer: pointer,
                                    target: target, focused: focused, steps: step - 1,
                                    actionsInLastMinute: executionTimes.count, typedCharacters: typedCharacters,
                                    consecutiveDenials: refusalsInARow, elapsedSeconds: now - started)
        return (context, target, focused, targetPoint)
    }

    /// One input of a rollback's compensation put to the policy like a proposal, on the screen as it is
    /// now, marked as a compensation (not rehearsed: effect conditions fail safe). The decision is
    /// audited before the rollback sends anything; it authorizes no execution record.
    func authorizeCompensation(_ action: Action, step: Int, compensating stepDigest: String,
                                       guard stepGuard: LiveStepGuard) throws -> Authorization {
        let frame = try desktop { try screen.capture() }
        let screenshotBlob = try blob(try desktop { try encoder.png(frame) })
        var context = try observe(action, frame: frame, step: step).context
        context.compensation = true
        context.irreversible = !stepGuard.reversible(action)
        let authorization: Authorization
        do { authorization = try authorizer.authorize(action, context: context) } catch {
            throw Stop(outcome: .safetyFailed("the policy failed on a compensation: \(error)"))
        }
        try record(.compensationDecision(step: step, compensates: stepDigest, actionJSON: ActionDigest.canonicalJSON(action),
                                         actionDigest: ActionDigest.digest(action), verdict: authorization.verdict,
                                         ruleIDs: authorization.ruleIDs, reason: "compensation: \(authorization.reason)",
                                         policyHash: authorizer.policyHash, screenshotBlob: screenshotBlob))
        return authorization
    }

    /// Returns nil when the action may run, or why it may not.
    private func askForApproval(step: Int, action: Action, actionJSON: String, digest: String, frame: Frame,
                                screenshotBlob: String, authorization: Authorization, target: WindowInfo?,
                                point: (x: Int, y: Int)?, round: String = "") async throws -> String? {
        var annotatedPath: String?
        var annotatedBlob: String?
        if let directory = configuration.approvalDirectory {
            let marked = try desktop { try encoder.png(try encoder.annotated(frame, target: point, window: target)) }
            annotatedBlob = try blob(marked)
            annotatedPath = writeForReviewer(marked, in: directory, name: "step-\(step)-approval.png")
        }
        let request = ApprovalRequest(step: step, action: action, actionJSON: actionJSON, actionDigest: digest,
                                      screenshotHash: screenshotBlob, ruleIDs: authorization.ruleIDs,
                                      reason: authorization.reason, target: target,
                                      annotatedScreenshotPath: annotatedPath)
        let answer: ApprovalAnswer
        do { answer = try await approver.review(request) } catch {
            throw Stop(outcome: .safetyFailed("the approver failed: \(error)"))
        }
        try record(.approval(step: step, approver: answer.approver, approved: answer.approved,
                             actionDigest: answer.actionDigest, screenshotBlob: answer.screenshotHash,
                             annotatedBlob: annotatedBlob))
        guard answer.approved else { return "refused by \(answer.approver)" }
        do {
            try ledger.consume(answer, step: step, actionDigest: digest, screenshotHash: screenshotBlob, round: round)
        } catch let e as AgentError {
            return e.description
        }
        return nil
    }

    /// Brings the rehearsal display back in step with the live one after a step (it ran the action
    /// first); what it did is audited as a rehearsal record. A failure stops the session: effects
    /// rehearsed on a state the live display does not have would mislead the policy.
    func keepRehearsalInStep(step: Int, digest: String, executed: Bool) async throws {
        let done: String?
        do { done = try await rehearsal.keepInStep(executed: executed) } catch {
            throw Stop(outcome: .safetyFailed("the rehearsal could not be kept in step: \(error)"))
        }
        if let done { try record(.rehearsal(step: step, actionDigest: digest, report: done)) }
    }

    private func refuse(_ note: StepNote, feedback: String) {
        notes.append(note)
        self.feedback = feedback
        refusalsInARow += 1
    }

    /// The screenshot scaled to the pixel budget, stretched (the grid is relative, so aspect changes are harmless).
    private func modelImage(_ frame: Frame, png: [UInt8]) throws -> ModelImage {
        let pixels = frame.width * frame.height
        guard pixels > configuration.modelPixelBudget, configuration.modelPixelBudget > 0 else {
            return ModelImage(png: png, width: frame.width, height: frame.height)
        }
        let scale = (Double(configuration.modelPixelBudget) / Double(pixels)).squareRoot()
        let width = max(1, Int(Double(frame.width) * scale))
        let height = max(1, Int(Double(frame.height) * scale))
        let small = try encoder.resized(frame, width: width, height: height)
        return ModelImage(png: try encoder.png(small), width: width, height: height)
    }

    /// Writes a screenshot the approver is pointed to (outside the driven display); nil, with a warning,
    /// when it cannot be written (the request then says so).
    func writeForReviewer(_ png: [UInt8], in directory: String, name: String) -> String? {
        let path = (directory as NSString).appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(png).write(to: URL(fileURLWithPath: path))
            return path
        } catch {
            logger.warning("cannot write \(name) for the approver: \(error)")
            return nil
        }
    }

    func record(_ event: AuditEvent) throws {
        do { try audit.record(event) } catch { throw Stop(outcome: .auditFailed("\(error)")) }
    }

    func blob(_ bytes: [UInt8]) throws -> String {
        do { return try audit.storeBlob(bytes) } catch { throw Stop(outcome: .auditFailed("\(error)")) }
    }

    func desktop<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let stop as Stop { throw stop } catch {
            throw Stop(outcome: .desktopFailed("\(error)"))
        }
    }

    func desktopAsync<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw Stop(outcome: .desktopFailed("\(error)")) }
    }

    func milliseconds(since start: Double) -> Int { Int((clock.now() - start) * 1000) }
}
