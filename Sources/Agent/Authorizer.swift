// The policy as the loop sees it. The command line adapts `Policy` to this protocol; the loop never
// interprets rules itself, it only obeys the verdict and records why.

import Actions
import Desktop

/// What a decision may look at besides the action: the windows involved and the session so far.
public struct ActionContext: Equatable, Sendable {
    public var screenWidth: Int
    public var screenHeight: Int
    /// The window under the action's target point (nil for actions without one, or over the root).
    public var target: WindowInfo?
    public var focused: WindowInfo?
    /// 1-based number of the step being decided.
    public var step: Int
    /// Characters typed so far in this session.
    public var typedCharacters: Int
    /// Seconds since the session started.
    public var elapsedSeconds: Double

    public init(screenWidth: Int, screenHeight: Int, target: WindowInfo?, focused: WindowInfo?, step: Int,
                typedCharacters: Int, elapsedSeconds: Double) {
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.target = target
        self.focused = focused
        self.step = step
        self.typedCharacters = typedCharacters
        self.elapsedSeconds = elapsedSeconds
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
