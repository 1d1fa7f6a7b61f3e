// Rollback of a live step (docs/safety-design.md §4). Before the live action: a checkpoint of the live
// home and the compensation planned for the action (`Sandbox.Compensation.plan`: typed text →
// BackSpaces, the definition's undo chord parsed by `Actions.KeyChord`, else the checkpoint). After
// the action settled: the live outcome is compared with the rehearsed one (the rehearsal ran the same
// action first: live home vs rehearsal home, live screen vs rehearsal screen). When they differ, the
// compensation runs on the live display; when the home still differs from the checkpoint afterwards,
// the checkpoint is restored through the stage (stop, restore, verify, start). Every step is handed
// to the audit as it completes; a compensation that cannot bring the home back throws
// `RollbackFailure`, and the loop stops the session with its own exit code.
//
// A compensation's inputs are the agent's, not the model's, but they reach the live display all the
// same: each distinct input is put to the policy (`authorize`, marked as a compensation) before any
// event is sent. Anything but allow — a deny, or an ask, which is not put to an approver in the middle
// of a rollback — sends nothing; the checkpoint is restored instead, and without one the rollback fails.

import Actions
import Foundation
import Imaging
import Sandbox

/// What would undo the live action, decided before it runs.
public struct RollbackPlan: Equatable, Sendable {
    public var compensation: Compensation
    public var checkpoint: HomeCheckpoint?
    /// The live screen before the step: a compensation must bring it back.
    public var screenBefore: Image?
    /// False when nothing can undo the action (the audit marks it irreversible).
    public var reversible: Bool { compensation.isReversible || checkpoint != nil }
    public var summary: String
    /// Housekeeping that failed while preparing (an earlier checkpoint that could not be removed); the
    /// loop audits each as a `rollback` record `remove-checkpoint` with `ok: false`.
    public var warnings: [String] = []
    /// The live home before the step, for the `writes_permitted` post-condition (nil when not asked for).
    public var homeBefore: HomeSnapshot?
}

/// One audited step of a comparison or a rollback.
public struct RollbackRecord: Equatable, Sendable {
    public var kind: String
    public var detail: String
    public var ok: Bool
    /// For a compensation: the rules of the policy's decisions on its inputs.
    public var ruleIDs: [String]?

    public init(kind: String, detail: String, ok: Bool, ruleIDs: [String]? = nil) {
        self.kind = kind
        self.detail = detail
        self.ok = ok
        self.ruleIDs = ruleIDs
    }
}

public enum LiveStepOutcome: Equatable, Sendable {
    /// The live outcome matched the rehearsed one.
    case matched(String)
    /// It could not be compared (the rehearsal had diverged before the action).
    case notVerified(String)
    /// It differed and was rolled back.
    case rolledBack(String)
}

public struct RollbackFailure: Error, CustomStringConvertible {
    public var description: String
}

public protocol LiveStepGuard: AnyObject {
    /// Whether the action could be undone (a compensation or a checkpoint), decided before the policy.
    func reversible(_ action: Action) -> Bool
    /// Before the live action: checkpoint and compensation plan.
    func prepare(_ action: Action) throws -> RollbackPlan
    /// After it settled: compares with the rehearsal and rolls back on divergence; `authorize` puts a
    /// compensation input to the policy (and audits the decision) before it is sent; `onStep` audits.
    func verify(_ action: Action, plan: RollbackPlan, rehearsal: RehearsalReport, input: InputDriver,
                authorize: (Action) throws -> Authorization,
                onStep: (RollbackRecord) throws -> Void) async throws -> LiveStepOutcome
    /// Undoes the live step of `plan` for a reason found outside `verify` (the operator rejected the result).
    func rollBack(_ plan: RollbackPlan, reason: String, input: InputDriver, authorize: (Action) throws -> Authorization,
                  onStep: (RollbackRecord) throws -> Void) async throws -> LiveStepOutcome
}

public final class RollbackController: LiveStepGuard {
    public let rehearsal: SandboxRehearsal
    public var live: SandboxStage { rehearsal.live }
    /// Fraction of differing pixels between the live and rehearsed screens that counts as divergence.
    public var screenThreshold: Double
    let clock: Clock
    private var checkpointCount = 0
    /// The previous step's checkpoint, removed once the next one exists (hard links keep shared files).
    private var previousCheckpoint: HomeCheckpoint?
    /// Checkpoint folders to remove (a removal that failed is tried again at the next step).
    private var staleCheckpoints: [String] = []
    /// Removes a checkpoint folder (tests make it fail).
    var removeDirectory: (String) throws -> Void = { try FileManager.default.removeItem(atPath: $0) }

    public init(rehearsal: SandboxRehearsal, screenThreshold: Double? = nil, clock: Clock = SystemClock()) {
        self.rehearsal = rehearsal
        self.screenThreshold = screenThreshold ?? rehearsal.driftThreshold
        self.clock = clock
    }

    public func reversible(_ action: Action) -> Bool {
        RollbackController.reversible(action, definition: live.definition)
    }

    /// Pure: the compensation plan's verdict, or a checkpoint strategy that can restore the files. An
    /// undo chord that does not parse makes a key action irreversible here (fail safe) and stops the
    /// session in `prepare`, before the action is sent.
    public static func reversible(_ action: Action, definition: SandboxDefinition) -> Bool {
        if definition.checkpoint != .none { return true }
        guard let step = try? stepAction(action, undoChord: definition.undoChord) else { return false }
        return Compensation.plan(for: step, undoChord: definition.undoChord, checkpoint: definition.checkpoint).isReversible
    }

    public func prepare(_ action: Action) throws -> RollbackPlan {
        checkpointCount += 1
        let definition = live.definition
        var checkpoint: HomeCheckpoint?
        if definition.checkpoint != .none {
            checkpoint = try live.checkpoint(label: "before live step \(checkpointCount)")
            // The previous step's checkpoint is no longer needed: this step's replaces it. Failing to
            // remove it costs disk space, not safety (the new checkpoint exists and verified), so it is
            // audited rather than fatal; one that stays behind is tried again at the next step. If space
            // runs out, the next checkpoint fails and that stops the session before its action runs.
            if let previous = previousCheckpoint { staleCheckpoints.append(previous.directory) }
            previousCheckpoint = checkpoint
        }
        var warnings: [String] = []
        staleCheckpoints = staleCheckpoints.filter { directory in
            do { try removeDirectory(directory) } catch {
                guard FileManager.default.fileExists(atPath: directory) else { return false }
                warnings.append("an earlier checkpoint could not be removed (\(directory)): \(error.localizedDescription)")
                return true
            }
            return false
        }
        let compensation = Compensation.plan(for: try RollbackController.stepAction(action, undoChord: definition.undoChord),
                                             undoChord: definition.undoChord, checkpoint: definition.checkpoint)
        var summary = "compensation: \(RollbackController.words(compensation))"
        if let checkpoint { summary += "; checkpoint \(checkpoint.id) of the live home (\(checkpoint.manifest.entries.count) entries)" }
        let screenBefore = try SandboxRehearsal.image(rehearsal.liveScreen.capture())
        var plan = RollbackPlan(compensation: compensation, checkpoint: checkpoint, screenBefore: screenBefore, summary: summary,
                                warnings: warnings)
        if definition.postconditions.writesPermitted { plan.homeBefore = try live.home.snapshot() }
        if !plan.reversible { plan.summary = "IRREVERSIBLE: " + summary }
        return plan
    }

    public func verify(_ action: Action, plan: RollbackPlan, rehearsal report: RehearsalReport, input: InputDriver,
                       authorize: (Action) throws -> Authorization,
                       onStep: (RollbackRecord) throws -> Void) async throws -> LiveStepOutcome {
        // Triggers, in order: the live outcome against the rehearsed one, then the definition's post-conditions.
        var reason: String?
        var verdict: LiveStepOutcome
        if report.diverged || !report.rehearsed {
            verdict = .notVerified("the rehearsal did not start from the live state, so its outcome is no reference")
        } else {
            // The rehearsed outcome: the rehearsal home and screen after the same action.
            let files = HomeDiff.between(try rehearsal.stage.home.snapshot(), try live.home.snapshot())
            let screen = try rehearsal.measure(try SandboxRehearsal.image(rehearsal.screen.capture()),
                                               against: try SandboxRehearsal.image(rehearsal.liveScreen.capture()))
            let screenDiffers = screen.changedFraction > screenThreshold
            verdict = .matched(String(format: "live outcome as rehearsed (files equal, screen %.3f%% apart)", screen.changedFraction * 100))
            if !files.isEmpty || screenDiffers {
                var why: [String] = []
                if !files.isEmpty { why.append("files differ from the rehearsal: \(files.all)") }
                if screenDiffers {
                    why.append(String(format: "screen %.3f%% apart (threshold %.3f%%)", screen.changedFraction * 100, screenThreshold * 100))
                }
                reason = "live outcome diverged from the rehearsal: " + why.joined(separator: ", ")
                try onStep(RollbackRecord(kind: "divergence", detail: reason ?? "", ok: true))
            }
        }
        if reason == nil && !live.definition.postconditions.isEmpty {
            let results = try live.checkPostconditions(homeBefore: plan.homeBefore)
            for r in results { try onStep(RollbackRecord(kind: "postcondition", detail: "\(r.name): \(r.detail)", ok: r.holds)) }
            let failed = results.filter { !$0.holds }
            if !failed.isEmpty { reason = "post-condition failed: " + failed.map { "\($0.name) (\($0.detail))" }.joined(separator: "; ") }
        }
        guard let reason else { return verdict }
        return try await rollBack(plan, reason: reason, input: input, authorize: authorize, onStep: onStep)
    }

    /// Undoes the live step of `plan` for `reason` (the live outcome diverged, a post-condition failed,
    /// or the operator rejected the result): the compensation when the policy permits it and it brings
    /// the screen and files back, else the checkpoint restore; verified against the checkpoint. Throws
    /// `RollbackFailure` when nothing can undo it.
    public func rollBack(_ plan: RollbackPlan, reason: String, input: InputDriver, authorize: (Action) throws -> Authorization,
                         onStep: (RollbackRecord) throws -> Void) async throws -> LiveStepOutcome {
        // Compensate.
        var restored = false
        switch plan.compensation {
        case .nothingToUndo:
            try onStep(RollbackRecord(kind: "compensation", detail: "nothing to undo", ok: true))
        case .pressKeys, .scrollBack, .undoChord:
            if !live.app.isRunning {
                // Input for an application that is gone would land elsewhere: restore instead.
                try onStep(RollbackRecord(kind: "compensation", detail: "not sent: \(live.definition.name) is not running", ok: false))
                guard plan.checkpoint != nil else {
                    throw RollbackFailure(description: "\(reason); the application is not running and there is no checkpoint")
                }
                try await restoreAndWait(plan, onStep: onStep)
                restored = true
                break
            }
            let inputs = try RollbackController.inputs(of: plan.compensation)
            if try compensate(inputs, words: RollbackController.words(plan.compensation), input: input,
                              authorize: authorize, onStep: onStep) == false {
                guard plan.checkpoint != nil else {
                    throw RollbackFailure(description: "\(reason); the policy did not permit the compensation and there is no checkpoint")
                }
                try await restoreAndWait(plan, onStep: onStep)
                restored = true
            }
        case .restoreCheckpoint:
            try await restoreAndWait(plan, onStep: onStep)
            restored = true
        case .irreversible(let why):
            try onStep(RollbackRecord(kind: "compensation", detail: "irreversible: \(why)", ok: false))
            guard plan.checkpoint != nil else { throw RollbackFailure(description: "\(reason); the action is irreversible: \(why)") }
        }
        _ = try await Settler(policy: rehearsal.settle, clock: clock).settle(rehearsal.liveScreen)

        // A compensation done in place must bring back the screen from before the step and the files of
        // the checkpoint; when it did not, the checkpoint is restored (once).
        if !restored {
            var left: [String] = []
            if let before = plan.screenBefore {
                let d = try rehearsal.measure(try SandboxRehearsal.image(rehearsal.liveScreen.capture()), against: before)
                if d.changedFraction > screenThreshold {
                    left.append(String(format: "the screen is %.3f%% away from before the step", d.changedFraction * 100))
                }
            }
            if let checkpoint = plan.checkpoint {
                let files = HomeDiff.between(checkpoint.manifest, try live.home.snapshot())
                if !files.isEmpty { left.append("the home differs from checkpoint \(checkpoint.id): \(files.all)") }
            }
            if !left.isEmpty {
                try onStep(RollbackRecord(kind: "check", detail: "after the compensation " + left.joined(separator: "; "), ok: false))
                guard plan.checkpoint != nil else {
                    throw RollbackFailure(description: "\(reason); the compensation did not undo the step (\(left.joined(separator: "; "))) and there is no checkpoint")
                }
                try await restoreAndWait(plan, onStep: onStep)
                _ = try await Settler(policy: rehearsal.settle, clock: clock).settle(rehearsal.liveScreen)
                restored = true
            }
        }
        if let checkpoint = plan.checkpoint {
            let left = HomeDiff.between(checkpoint.manifest, try live.home.snapshot())
            guard left.isEmpty else {
                try onStep(RollbackRecord(kind: "check", detail: "the home differs from checkpoint \(checkpoint.id): \(left.all)", ok: false))
                throw RollbackFailure(description: "\(reason); the rollback left the home different from the checkpoint: \(left.all)")
            }
        }
        let filesWord = plan.checkpoint.map { "the live home equals checkpoint \($0.id)" } ?? "no checkpoint: the files were not verified"
        let screenWord = restored ? "the application was restarted, its screen is not compared"
                                  : (plan.screenBefore == nil ? "the screen was not compared" : "the screen is back to before the step")
        try onStep(RollbackRecord(kind: "check", detail: "\(filesWord); \(screenWord)", ok: true))
        return .rolledBack(reason)
    }

    /// Puts each distinct input to the policy, then sends them all when every decision allows; audits
    /// the outcome as a `compensation` step with the decisions' rule ids. False: nothing was sent.
    private func compensate(_ inputs: [Action], words: String, input: InputDriver, authorize: (Action) throws -> Authorization,
                            onStep: (RollbackRecord) throws -> Void) throws -> Bool {
        var decided: [Action] = []
        var ruleIDs: Set<String> = []
        for candidate in inputs where !decided.contains(candidate) {
            decided.append(candidate)
            let decision = try authorize(candidate)
            ruleIDs.formUnion(decision.ruleIDs)
            guard decision.verdict == .allow else {
                let why = decision.verdict == .ask
                    ? "the policy asks for approval, which a rollback does not wait for" : "the policy denies it"
                try onStep(RollbackRecord(kind: "compensation", detail: "not sent (\(words)): \(why): \(decision.reason)",
                                          ok: false, ruleIDs: decision.ruleIDs))
                return false
            }
        }
        for event in inputs { _ = try input.perform(event) }
        try onStep(RollbackRecord(kind: "compensation", detail: "sent: \(words)", ok: true, ruleIDs: ruleIDs.sorted()))
        return true
    }

    /// The input actions of a compensation that sends input (none for the others).
    static func inputs(of compensation: Compensation) throws -> [Action] {
        switch compensation {
        case .pressKeys(let keys): return try keys.map { .key(try KeyChord(parsing: $0)) }
        case .scrollBack(let pixels, let horizontal):
            return [horizontal ? .hscroll(pixels: pixels, at: nil) : .scroll(pixels: pixels, at: nil)]
        case .undoChord(let text): return [.key(try KeyChord(parsing: text))]
        case .nothingToUndo, .restoreCheckpoint, .irreversible: return []
        }
    }

    /// Restores the checkpoint, then waits (bounded) for the restarted application's window.
    private func restoreAndWait(_ plan: RollbackPlan, onStep: (RollbackRecord) throws -> Void) async throws {
        try restore(plan, onStep: onStep)
        if live.definition.checkpoint.restartAfterRestore,
           !(await SandboxRehearsal.waitForWindowUnderPointer(rehearsal.liveScreen, clock: clock)) {
            try onStep(RollbackRecord(kind: "check", detail: "no window came back under the pointer within 10 s of the restart", ok: false))
            throw RollbackFailure(description: "the application did not come back after the restore")
        }
    }

    private func restore(_ plan: RollbackPlan, onStep: (RollbackRecord) throws -> Void) throws {
        guard let checkpoint = plan.checkpoint else {
            throw RollbackFailure(description: "no checkpoint to restore")
        }
        var audited: [RollbackRecord] = []
        do {
            try live.rollback(to: checkpoint) { step in
                audited.append(RollbackRecord(kind: step.kind.rawValue, detail: step.detail, ok: true))
            }
        } catch {
            for r in audited { try onStep(r) }
            try onStep(RollbackRecord(kind: "restore-checkpoint", detail: "\(error)", ok: false))
            throw RollbackFailure(description: "restoring checkpoint \(checkpoint.id) failed: \(error)")
        }
        for r in audited { try onStep(r) }
    }

    /// The Sandbox's view of an action (it does not import Actions).
    static func stepAction(_ action: Action, undoChord: String?) throws -> StepAction {
        switch action {
        case .key(let chord):
            // The undo chord in the definition's spelling when it is the same chord, so `plan` sees it.
            // One that does not parse is an error here, not a chord that never matches: the
            // compensation would press it.
            if let undoChord {
                let parsed: KeyChord
                do { parsed = try KeyChord(parsing: undoChord) } catch {
                    throw RollbackFailure(description: "the sandbox definition's undo chord \"\(undoChord)\" is not a key chord: \(error)")
                }
                if parsed == chord { return .key(chord: undoChord) }
            }
            return .key(chord: chord.normalized)
        case .type(let text): return .type(text: text)
        case .mouseMove: return .mouseMove
        case .leftClick: return .leftClick
        case .rightClick: return .rightClick
        case .middleClick: return .middleClick
        case .doubleClick: return .doubleClick
        case .tripleClick: return .tripleClick
        case .leftClickDrag: return .leftClickDrag
        case .scroll(let pixels, _): return .scroll(pixels: pixels)
        case .hscroll(let pixels, _): return .hscroll(pixels: pixels)
        case .wait: return .wait
        case .terminate: return .terminate
        case .answer: return .answer
        }
    }

    static func words(_ c: Compensation) -> String {
        switch c {
        case .nothingToUndo: return "nothing to undo"
        case .pressKeys(let keys): return "press \(keys.count) × \(Set(keys).sorted().joined(separator: ", "))"
        case .scrollBack(let p, let h): return "scroll \(h ? "horizontally " : "")back by \(p) px"
        case .undoChord(let chord): return "the undo chord \(chord)"
        case .restoreCheckpoint: return "restore the checkpoint"
        case .irreversible(let why): return "none (\(why))"
        }
    }
}
