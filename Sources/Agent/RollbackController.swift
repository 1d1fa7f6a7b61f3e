// Rollback of a live step (docs/safety-design.md §4). Before the live action: a checkpoint of the live
// home and the compensation planned for the action (`Sandbox.Compensation.plan`: typed text →
// BackSpaces, the definition's undo chord parsed by `Actions.KeyChord`, else the checkpoint). After
// the action settled: the live outcome is compared with the rehearsed one (the rehearsal ran the same
// action first: live home vs rehearsal home, live screen vs rehearsal screen). When they differ, the
// compensation runs on the live display; when the home still differs from the checkpoint afterwards,
// the checkpoint is restored through the stage (stop, restore, verify, start). Every step is handed
// to the audit as it completes; a compensation that cannot bring the home back throws
// `RollbackFailure`, and the loop stops the session with its own exit code.

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
}

/// One audited step of a comparison or a rollback.
public struct RollbackRecord: Equatable, Sendable {
    public var kind: String
    public var detail: String
    public var ok: Bool
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
    /// After it settled: compares with the rehearsal and rolls back on divergence; `onStep` audits.
    func verify(_ action: Action, plan: RollbackPlan, rehearsal: RehearsalReport, input: InputDriver,
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

    public init(rehearsal: SandboxRehearsal, screenThreshold: Double? = nil, clock: Clock = SystemClock()) {
        self.rehearsal = rehearsal
        self.screenThreshold = screenThreshold ?? rehearsal.driftThreshold
        self.clock = clock
    }

    public func reversible(_ action: Action) -> Bool {
        RollbackController.reversible(action, definition: live.definition)
    }

    /// Pure: the compensation plan's verdict, or a checkpoint strategy that can restore the files.
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
            if let previous = previousCheckpoint { try? FileManager.default.removeItem(atPath: previous.directory) }
            previousCheckpoint = checkpoint
        }
        let compensation = Compensation.plan(for: try RollbackController.stepAction(action, undoChord: definition.undoChord),
                                             undoChord: definition.undoChord, checkpoint: definition.checkpoint)
        var summary = "compensation: \(RollbackController.words(compensation))"
        if let checkpoint { summary += "; checkpoint \(checkpoint.id) of the live home (\(checkpoint.manifest.entries.count) entries)" }
        let screenBefore = try SandboxRehearsal.image(rehearsal.liveScreen.capture())
        var plan = RollbackPlan(compensation: compensation, checkpoint: checkpoint, screenBefore: screenBefore, summary: summary)
        if !plan.reversible { plan.summary = "IRREVERSIBLE: " + summary }
        return plan
    }

    public func verify(_ action: Action, plan: RollbackPlan, rehearsal report: RehearsalReport, input: InputDriver,
                       onStep: (RollbackRecord) throws -> Void) async throws -> LiveStepOutcome {
        if report.diverged || !report.rehearsed {
            return .notVerified("the rehearsal did not start from the live state, so its outcome is no reference")
        }
        // The rehearsed outcome: the rehearsal home and screen after the same action.
        let files = HomeDiff.between(try rehearsal.stage.home.snapshot(), try live.home.snapshot())
        let screen = try rehearsal.measure(try SandboxRehearsal.image(rehearsal.screen.capture()),
                                           against: try SandboxRehearsal.image(rehearsal.liveScreen.capture()))
        let screenDiffers = screen.changedFraction > screenThreshold
        guard !files.isEmpty || screenDiffers else {
            return .matched(String(format: "live outcome as rehearsed (files equal, screen %.3f%% apart)", screen.changedFraction * 100))
        }
        var why: [String] = []
        if !files.isEmpty { why.append("files differ from the rehearsal: \(files.all)") }
        if screenDiffers {
            why.append(String(format: "screen %.3f%% apart (threshold %.3f%%)", screen.changedFraction * 100, screenThreshold * 100))
        }
        let reason = "live outcome diverged from the rehearsal: " + why.joined(separator: ", ")
        try onStep(RollbackRecord(kind: "divergence", detail: reason, ok: true))

        // Compensate.
        var restored = false
        switch plan.compensation {
        case .nothingToUndo:
            try onStep(RollbackRecord(kind: "compensation", detail: "nothing to undo", ok: true))
        case .pressKeys(let keys):
            for key in keys { _ = try input.perform(.key(try KeyChord(parsing: key))) }
            try onStep(RollbackRecord(kind: "compensation", detail: "pressed \(keys.count) × \(Set(keys).sorted().joined(separator: ", "))", ok: true))
        case .scrollBack(let pixels, let horizontal):
            _ = try input.perform(horizontal ? .hscroll(pixels: pixels, at: nil) : .scroll(pixels: pixels, at: nil))
            try onStep(RollbackRecord(kind: "compensation", detail: "scrolled back \(pixels) px", ok: true))
        case .undoChord(let text):
            let chord = try KeyChord(parsing: text)
            _ = try input.perform(.key(chord))
            try onStep(RollbackRecord(kind: "compensation", detail: "undo chord \(chord.normalized)", ok: true))
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
            if let undoChord, let parsed = try? KeyChord(parsing: undoChord), parsed == chord { return .key(chord: undoChord) }
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
