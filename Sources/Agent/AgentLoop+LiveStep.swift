// After a live step: the step guard compares the live outcome with the rehearsed one and checks the
// sandbox's post-conditions (RollbackController.verify), and — with `reviewResults` — the operator
// looks at the result and keeps it or rejects it. Any of the three failing undoes the step
// (`LiveStepGuard.rollBack`: compensation, else checkpoint), every part audited; the model is told.

import Actions
import Foundation

extension AgentLoop {
    /// True when the step was rolled back (the caller ends the step); false when it stands.
    func verifyLiveStep(step: Int, action: Action, actionJSON: String, gridJSON: String, digest: String,
                        plan: RollbackPlan, report: RehearsalReport, stepGuard: LiveStepGuard) async throws -> Bool {
        let authorize: (Action) throws -> Authorization = { input in
            try self.authorizeCompensation(input, step: step, compensating: digest, guard: stepGuard)
        }
        let onStep: (RollbackRecord) throws -> Void = { r in
            try self.record(.rollback(step: step, actionDigest: digest, kind: r.kind, detail: r.detail, ok: r.ok,
                                      irreversible: false, ruleIDs: r.ruleIDs))
        }
        var outcome: LiveStepOutcome
        do {
            outcome = try await stepGuard.verify(action, plan: plan, rehearsal: report, input: input,
                                                 authorize: authorize, onStep: onStep)
        } catch let stop as Stop { throw stop } catch {
            throw Stop(outcome: .rollbackFailed("\(error)"))
        }
        let stands: Bool
        if case .rolledBack = outcome { stands = false } else { stands = true }
        if configuration.reviewResults && stands {
            if let rejection = try await reviewResult(step: step, action: action, actionJSON: actionJSON, digest: digest) {
                try record(.verification(step: step, actionDigest: digest,
                                         outcome: LiveStepOutcome.outcomeWord(outcome), detail: LiveStepOutcome.detail(outcome)))
                do {
                    outcome = try await stepGuard.rollBack(plan, reason: rejection, input: input, authorize: authorize, onStep: onStep)
                } catch let stop as Stop { throw stop } catch {
                    throw Stop(outcome: .rollbackFailed("\(error)"))
                }
            }
        }
        try record(.verification(step: step, actionDigest: digest, outcome: LiveStepOutcome.outcomeWord(outcome),
                                 detail: LiveStepOutcome.detail(outcome)))
        guard case .rolledBack(let detail) = outcome else { return false }
        try await keepRehearsalInStep(step: step, digest: digest, executed: true)
        notes.append(StepNote(index: step, action: gridJSON, outcome: .failed("rolled back: \(detail)")))
        // `detail` says why: the live outcome diverged from the rehearsal, a post-condition failed, or the
        // operator rejected the result.
        feedback = "Your last action (\(gridJSON)) was rolled back: \(detail). Look at the new screenshot."
        return true
    }

    /// Shows the operator the screen after the step; nil when they keep the result, else why it is undone.
    /// Bound like an approval: to the step's action digest and the after-step screenshot.
    private func reviewResult(step: Int, action: Action, actionJSON: String, digest: String) async throws -> String? {
        let frame = try desktop { try screen.capture() }
        let png = try desktop { try encoder.png(frame) }
        let screenshotBlob = try blob(png)
        let path = configuration.approvalDirectory.flatMap { writeForReviewer(png, in: $0, name: "step-\(step)-result.png") }
        var request = ApprovalRequest(step: step, action: action, actionJSON: actionJSON, actionDigest: digest,
                                      screenshotHash: screenshotBlob, ruleIDs: [],
                                      reason: "review the result of step \(step): keep it, or reject it to roll the step back",
                                      target: nil, annotatedScreenshotPath: path)
        request.kind = .result
        let answer: ApprovalAnswer
        do { answer = try await approver.review(request) } catch {
            throw Stop(outcome: .safetyFailed("the approver failed on a result review: \(error)"))
        }
        // A reply bound to anything else is a rejection, not a keep.
        let bound = answer.actionDigest == digest && answer.screenshotHash == screenshotBlob
        let kept = answer.approved && bound
        try record(.resultReview(step: step, actionDigest: digest, approver: answer.approver, kept: kept,
                                 screenshotBlob: screenshotBlob))
        if kept { return nil }
        return bound ? "the operator (\(answer.approver)) rejected the result"
                     : "the operator's answer was bound to another action or screenshot, so the result is not kept"
    }
}

extension LiveStepOutcome {
    static func outcomeWord(_ o: LiveStepOutcome) -> String {
        switch o {
        case .matched: return "matched"
        case .notVerified: return "not-verified"
        case .rolledBack: return "rolled-back"
        }
    }

    static func detail(_ o: LiveStepOutcome) -> String {
        switch o {
        case .matched(let d), .notVerified(let d), .rolledBack(let d): return d
        }
    }
}
