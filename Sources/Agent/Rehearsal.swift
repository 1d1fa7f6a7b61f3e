// The dry run before an action touches the live display (docs/safety-design.md §3).
// `SandboxRehearsal` runs the action on a rehearsal display first and reports its effects;
// `PassThroughRehearsal` says plainly that nothing was rehearsed rather than pretending.

import Actions
import Foundation
import Sandbox

public struct RehearsalReport: Equatable, Sendable {
    /// False when no rehearsal ran (the audit says so; a policy may require one).
    public var rehearsed: Bool
    /// What the rehearsal saw, in words, for the audit trail.
    public var summary: String
    /// True when the rehearsal found a reason not to run the action on the live display.
    public var blocks: Bool

    /// What the rehearsal observed (nil when nothing was rehearsed). Its `drift` and `homeDrift` say
    /// whether the rehearsal started from the live state; `diverged` reports it.
    public var effects: Sandbox.RehearsalEffects?
    /// Where the sandbox home is mounted inside the sandbox: file effects are relative to it, policy
    /// rules name absolute paths.
    public var homeMount: String?

    public init(rehearsed: Bool, summary: String, blocks: Bool = false, effects: Sandbox.RehearsalEffects? = nil,
                homeMount: String? = nil) {
        self.rehearsed = rehearsed
        self.summary = summary
        self.blocks = blocks
        self.effects = effects
        self.homeMount = homeMount
    }

    /// The rehearsal did not start from the live state, so its effects are not the live action's.
    public var diverged: Bool { effects?.diverged ?? false }

    /// The effects as JSON (sorted keys) for the audit record; nil when there are none. Throws rather than
    /// dropping what the rehearsal saw.
    public var effectsJSON: String? {
        get throws {
            guard let effects else { return nil }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(effects), as: UTF8.self)
        }
    }
}

public protocol Rehearsal {
    func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport
    /// True when `rehearse` reports effects the policy is asked about again before the live action.
    var providesEffects: Bool { get }
    /// After the step ended, live-executed (`executed`) or not: brings the rehearsal back in step
    /// with the live state where they differ. Returns what was done, for the audit, or nil.
    func keepInStep(executed: Bool) async throws -> String?
}

extension Rehearsal {
    public var providesEffects: Bool { false }
    public func keepInStep(executed: Bool) async throws -> String? { nil }
}

public struct PassThroughRehearsal: Rehearsal {
    public init() {}
    public func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport {
        RehearsalReport(rehearsed: false, summary: "not rehearsed: no rehearsal display is configured")
    }
}
