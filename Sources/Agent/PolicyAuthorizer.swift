// `Authorizer` over `Policy`: the loop's context as a `PolicyRequest`, the decision as a verdict.
// The policy sees windows as the X server describes them (executable from X-Resource). Effects:
// without a rehearsal `effects` is nil and rules on effects fail safe; with one, the first decision
// marks them pending and the second (`EffectsAuthorizer`, after the rehearsal) supplies them.

import Actions
import Desktop
import Policy

public struct PolicyAuthorizer: Authorizer {
    public let policy: Policy
    public var policyHash: String { policy.hash }

    public init(policy: Policy) { self.policy = policy }

    public func authorize(_ action: Action, context: ActionContext) throws -> Authorization {
        let decision = policy.decision(for: PolicyAuthorizer.request(action, context))
        let verdict: Authorization.Verdict
        switch decision.effect {
        case .allow: verdict = .allow
        case .ask: verdict = .ask
        case .deny: verdict = .deny
        }
        return Authorization(verdict: verdict, ruleIDs: decision.ruleIDs, reason: decision.reason)
    }

    static func request(_ action: Action, _ context: ActionContext) -> PolicyRequest {
        var request = PolicyRequest(action: action, screenWidth: context.screenWidth, screenHeight: context.screenHeight,
                      pointer: context.pointer.map { Point(x: Double($0.x), y: Double($0.y)) },
                      windowUnderPoint: context.target.map(facts), focusedWindow: context.focused.map(facts),
                      budget: BudgetCounters(steps: context.steps, elapsedSeconds: context.elapsedSeconds,
                                             actionsInLastMinute: context.actionsInLastMinute,
                                             typedCharacters: context.typedCharacters,
                                             consecutiveDenials: context.consecutiveDenials),
                      effects: nil)
        request.effectsPending = context.effectsPending
        request.irreversible = context.irreversible
        request.compensation = context.compensation
        return request
    }

    static func facts(_ w: WindowInfo) -> WindowFacts {
        WindowFacts(id: UInt64(w.id), windowClass: w.className ?? "", instance: w.instanceName ?? "", title: w.title ?? "",
                    executable: w.executable, pid: w.pid, x: w.frame.x, y: w.frame.y, width: w.frame.width,
                    height: w.frame.height)
    }
}
