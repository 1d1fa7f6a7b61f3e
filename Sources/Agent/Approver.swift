// Approvals for `ask` decisions. An approval is bound to what the approver was shown: the digest of
// the action (SHA-256 of its canonical JSON, in pixels) and the hash of the screenshot it was decided
// on. The loop accepts a grant only if both match the action about to run, and only once
// (`ApprovalLedger`). Approvers never draw on the display the agent drives: the prompt goes to a
// terminal or a socket, and the annotated screenshot is a file the operator opens.

import Actions
import Desktop

public struct ApprovalRequest: Equatable, Sendable {
    /// What is asked: whether an action may run, or whether the result of one that ran is kept.
    public enum Kind: String, Equatable, Sendable { case action, result }
    public var kind: Kind = .action
    public var step: Int
    /// The action in screen pixels, as it will be executed.
    public var action: Action
    public var actionJSON: String
    public var actionDigest: String
    public var screenshotHash: String
    public var ruleIDs: [String]
    public var reason: String
    public var target: WindowInfo?
    /// A PNG of the screen with the target marked, outside the agent's display.
    public var annotatedScreenshotPath: String?

    public init(step: Int, action: Action, actionJSON: String, actionDigest: String, screenshotHash: String,
                ruleIDs: [String], reason: String, target: WindowInfo?, annotatedScreenshotPath: String?) {
        self.step = step
        self.action = action
        self.actionJSON = actionJSON
        self.actionDigest = actionDigest
        self.screenshotHash = screenshotHash
        self.ruleIDs = ruleIDs
        self.reason = reason
        self.target = target
        self.annotatedScreenshotPath = annotatedScreenshotPath
    }
}

/// An approver's answer, carrying the binding it was given.
public struct ApprovalAnswer: Equatable, Sendable {
    public var approved: Bool
    /// Who answered (`auto`, `tty:/dev/pts/3 uid=1000`, `socket uid=1000 pid=4242`).
    public var approver: String
    public var actionDigest: String
    public var screenshotHash: String

    public init(approved: Bool, approver: String, actionDigest: String, screenshotHash: String) {
        self.approved = approved
        self.approver = approver
        self.actionDigest = actionDigest
        self.screenshotHash = screenshotHash
    }
}

public protocol Approver {
    func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer
}

/// `--approve auto`: nobody is there to ask, so ask means deny.
public struct AutoApprover: Approver {
    public init() {}
    public func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
        ApprovalAnswer(approved: false, approver: "auto", actionDigest: request.actionDigest,
                       screenshotHash: request.screenshotHash)
    }
}

/// Single-use bookkeeping: a grant is consumed by the one execution it authorizes.
public struct ApprovalLedger: Sendable {
    private var used: Set<String> = []

    public init() {}

    /// Checks that `answer` grants exactly `actionDigest` on `screenshotHash` and was not used before,
    /// and marks it used. `round` tells apart the asks of one step (before and after its rehearsal).
    public mutating func consume(_ answer: ApprovalAnswer, step: Int, actionDigest: String, screenshotHash: String,
                                 round: String = "") throws {
        guard answer.approved else { throw AgentError.approvalMismatch("the action was not approved") }
        guard answer.actionDigest == actionDigest else {
            throw AgentError.approvalMismatch("approved action \(answer.actionDigest.prefix(12))…, about to run \(actionDigest.prefix(12))…")
        }
        guard answer.screenshotHash == screenshotHash else {
            throw AgentError.approvalMismatch("approved on screenshot \(answer.screenshotHash.prefix(12))…, decided on \(screenshotHash.prefix(12))…")
        }
        let key = "\(step):\(actionDigest):\(screenshotHash)" + (round.isEmpty ? "" : ":\(round)")
        guard used.insert(key).inserted else { throw AgentError.approvalMismatch("approval already used") }
    }
}
