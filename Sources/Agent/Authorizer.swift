// The policy as the loop sees it. The command line adapts `Policy` to this protocol; the loop never
// interprets rules itself, it only obeys the verdict and records why.

import Actions
import Desktop

/// What a decision may look at besides the action: the windows involved and the session so far.
public struct ActionContext: Equatable, Sendable {
    public var screenWidth: Int
    public var screenHeight: Int
    /// Where the pointer is (the point of clicks without a coordinate, the start of a drag), if known.
    public var pointer: (x: Int, y: Int)?
    /// The window under the action's point, or under the pointer for actions that use it.
    public var target: WindowInfo?
    public var focused: WindowInfo?
    /// Steps taken before this one.
    public var steps: Int
    /// Input actions executed in the last 60 seconds.
    public var actionsInLastMinute: Int
    /// Characters typed so far in this session.
    public var typedCharacters: Int
    /// Refusals (denials, refused approvals, rejected replies) just before this step.
    public var consecutiveDenials: Int
    /// Seconds since the session started.
    public var elapsedSeconds: Double
    /// A rehearsal follows this decision and the policy is asked again with its effects before the
    /// action runs, so effect conditions are pending now (rather than failing safe).
    public var effectsPending = false
    /// Whether the sandbox could undo the action (false) or not (true); nil without a sandbox.
    public var irreversible: Bool?
    /// True when the rollback asks to send this input to undo a live step (not the model's proposal).
    public var compensation = false

    public init(screenWidth: Int, screenHeight: Int, pointer: (x: Int, y: Int)? = nil, target: WindowInfo?,
                focused: WindowInfo?, steps: Int, actionsInLastMinute: Int = 0, typedCharacters: Int,
                consecutiveDenials: Int = 0, elapsedSeconds: Double) {
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.pointer = pointer
        self.target = target
        self.focused = focused
        self.steps = steps
        self.actionsInLastMinute = actionsInLastMinute
        self.typedCharacters = typedCharacters
        self.consecutiveDenials = consecutiveDenials
        self.elapsedSeconds = elapsedSeconds
    }

    public static func == (a: ActionContext, b: ActionContext) -> Bool {
        a.screenWidth == b.screenWidth && a.screenHeight == b.screenHeight && a.pointer?.x == b.pointer?.x
            && a.pointer?.y == b.pointer?.y && a.target == b.target && a.focused == b.focused && a.steps == b.steps
            && a.actionsInLastMinute == b.actionsInLastMinute && a.typedCharacters == b.typedCharacters
            && a.consecutiveDenials == b.consecutiveDenials && a.elapsedSeconds == b.elapsedSeconds
            && a.effectsPending == b.effectsPending && a.irreversible == b.irreversible && a.compensation == b.compensation
    }
}

public struct Authorization: Equatable, Sendable {
    public enum Verdict: String, Equatable, Sendable { case allow, ask, deny }
    public var verdict: Verdict
    public var ruleIDs: [String]
    public var reason: String

    public init(verdict: Verdict, ruleIDs: [String], reason: String) {
        self.verdict = verdict
        self.ruleIDs = ruleIDs
        self.reason = reason
    }
}

public protocol Authorizer {
    /// The hash of the policy's canonical form; every decision record cites it.
    var policyHash: String { get }
    /// Decides on an action in screen pixels. A thrown error ends the session (it is not a denial
    /// the model could argue with: the policy itself failed).
    func authorize(_ action: Action, context: ActionContext) throws -> Authorization
}
