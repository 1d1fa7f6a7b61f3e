// The second decision of a rehearsed step (docs/safety-design.md §3): the policy is asked again with
// the rehearsal's effects before the action reaches the live display, so forbid and ask rules on
// effects apply. A rehearsal that diverged from the live state (screen drift beyond the threshold, or
// different files) has effects that are not the live action's: they are withheld, and effect rules
// fail safe (forbids and asks match, permits do not).

import Actions
import Policy
import Sandbox

public protocol EffectsAuthorizer: Authorizer {
    func authorize(_ action: Action, context: ActionContext, rehearsal: RehearsalReport) throws -> Authorization
}

extension PolicyAuthorizer: EffectsAuthorizer {
    public func authorize(_ action: Action, context: ActionContext, rehearsal: RehearsalReport) throws -> Authorization {
        var request = PolicyAuthorizer.request(action, context)
        request.effectsPending = false
        // Known only for a rehearsal that observed (its drift measures say whether it started from the live state).
        request.rehearsalDiverged = rehearsal.rehearsed && rehearsal.effects != nil ? rehearsal.diverged : nil
        if let effects = rehearsal.effects, !rehearsal.diverged {
            request.effects = PolicyAuthorizer.policyEffects(effects, homeMount: rehearsal.homeMount ?? "/")
        }
        let decision = policy.decision(for: request)
        let verdict: Authorization.Verdict
        switch decision.effect {
        case .allow: verdict = .allow
        case .ask: verdict = .ask
        case .deny: verdict = .deny
        }
        var reason = decision.reason
        if rehearsal.diverged { reason += " (the rehearsal diverged from the live state: its effects were not used)" }
        return Authorization(verdict: verdict, ruleIDs: decision.ruleIDs, reason: reason)
    }

    /// Sandbox's observation as Policy's facts: paths absolute inside the sandbox (`homeMount/…`),
    /// changed files as written, new windows with their executables, spawned executables, network
    /// attempts as one line each ("connect inet 192.0.2.1:80 by /usr/bin/bash"; attempts beyond the
    /// watch's capacity as a count) — or why they could not be observed, which makes network rules
    /// fail safe instead of reading "none".
    public static func policyEffects(_ e: Sandbox.RehearsalEffects, homeMount: String) -> PolicyRehearsalEffects {
        let base = homeMount.hasSuffix("/") ? String(homeMount.dropLast()) : homeMount
        func paths(_ change: FileEffect.Change) -> [String] {
            e.files.filter { $0.change == change }.map { base + "/" + $0.path }
        }
        return PolicyRehearsalEffects(filesWritten: paths(.changed), filesCreated: paths(.created), filesDeleted: paths(.deleted),
                                      newWindows: e.windowsMapped.map { .init(windowClass: $0.wmClass ?? "", executable: $0.executable) },
                                      spawnedExecutables: e.spawnedExecutables, networkAttempts: networkAttempts(e.network),
                                      networkNotObservable: e.network.notObservable)
    }

    static func networkAttempts(_ n: NetworkObservation) -> [String] {
        let kept = n.attempts.map(\.summary)
        let more = n.attemptCount - kept.count
        return more > 0 ? kept + ["\(more) more attempts (not kept)"] : kept
    }
}
