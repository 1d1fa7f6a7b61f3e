// The result of evaluating one request: what to do, which rules made it so, and why.

public struct Decision: Equatable, Sendable {
    public enum Effect: String, Sendable, Comparable {
        case deny, ask, allow
        private var order: Int { self == .deny ? 0 : self == .ask ? 1 : 2 }
        /// deny < ask < allow: "narrower" means smaller.
        public static func < (a: Effect, b: Effect) -> Bool { a.order < b.order }
    }

    public var effect: Effect
    /// The rules that decided (all matching forbids, or asks, or permits), sorted. Empty only for the default deny.
    public var ruleIDs: [String]
    public var reason: String
    public var policyHash: String

    public static let noRulePermits = "no rule permits this"
}

/// One rule's part in an evaluation, for `policy explain`.
public struct RuleTrace: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        case matched
        case notMatched
        /// A condition could not be evaluated; `countsAsMatch` is the fail-safe verdict.
        case failed(countsAsMatch: Bool)
    }
    public var ruleID: String
    public var effect: RuleEffect
    public var outcome: Outcome
    /// One line per condition checked: what held, what did not, what could not be evaluated.
    public var notes: [String]

    public var matched: Bool {
        switch outcome {
        case .matched: return true
        case .notMatched: return false
        case .failed(let m): return m
        }
    }
}

public struct Evaluation: Equatable, Sendable {
    public var decision: Decision
    public var trace: [RuleTrace]
}
