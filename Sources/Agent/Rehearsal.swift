// The dry run before an action touches the live display (docs/safety-design.md §3). The rehearsal
// display is another issue's work; until it lands the loop runs `PassThroughRehearsal`, which says
// plainly that nothing was rehearsed rather than pretending.

import Actions

public struct RehearsalReport: Equatable, Sendable {
    /// False when no rehearsal ran (the audit says so; a policy may require one).
    public var rehearsed: Bool
    /// What the rehearsal saw, in words, for the audit trail.
    public var summary: String
    /// True when the rehearsal found a reason not to run the action on the live display.
    public var blocks: Bool

    public init(rehearsed: Bool, summary: String, blocks: Bool = false) {
        self.rehearsed = rehearsed
        self.summary = summary
        self.blocks = blocks
    }
}

public protocol Rehearsal {
    func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport
}

public struct PassThroughRehearsal: Rehearsal {
    public init() {}
    public func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport {
        RehearsalReport(rehearsed: false, summary: "not rehearsed: no rehearsal display is configured")
    }
}
