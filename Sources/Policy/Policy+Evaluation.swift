// Stage three: evaluation, with Cedar's semantics (safety-design.md §1).
//   1. Every rule whose action list holds the action's kind and whose conditions all hold matches.
//      Built-in forbids (points off the screen, spent budgets) are evaluated alongside the file's rules.
//   2. Any forbid → deny. Else any ask → ask. Else any permit → allow. Else deny ("no rule permits this").
//   3. A condition that cannot be evaluated (a fact the agent could not establish) makes a forbid or ask
//      rule match and a permit not match.
// Rules are evaluated independently and the decision depends only on the set of matches, so rule order
// never matters; the rule ids in a decision are sorted.

import Actions
import Foundation

extension Policy {
    /// The decision for one request.
    public func decision(for request: PolicyRequest) -> Decision { evaluate(request).decision }

    /// The decision and the trace of every rule, for `policy explain`.
    public func evaluate(_ request: PolicyRequest) -> Evaluation {
        var traces = rules.map { Policy.trace($0, request) }
        traces += builtinTraces(request)
        let matched = traces.filter(\.matched)
        func ids(_ effect: RuleEffect) -> [String] { matched.filter { $0.effect == effect }.map(\.ruleID).sorted() }
        // A rule's own reason, or for a built-in forbid the fact that triggered it.
        func explain(_ ids: [String]) -> String {
            ids.map { id in
                if let rule = rules.first(where: { $0.id == id }) { return rule.reason.map { "\(id) (\($0))" } ?? id }
                return traces.first { $0.ruleID == id }?.notes.first.map { "\(id) (\($0))" } ?? id
            }.joined(separator: "; ")
        }
        let decision: Decision
        if case let forbids = ids(.forbid), !forbids.isEmpty {
            decision = Decision(effect: .deny, ruleIDs: forbids, reason: "forbidden by " + explain(forbids), policyHash: hash)
        } else if case let asks = ids(.ask), !asks.isEmpty {
            decision = Decision(effect: .ask, ruleIDs: asks, reason: "approval required by " + explain(asks), policyHash: hash)
        } else if case let permits = ids(.permit), !permits.isEmpty {
            decision = Decision(effect: .allow, ruleIDs: permits, reason: "permitted by " + explain(permits), policyHash: hash)
        } else {
            decision = Decision(effect: .deny, ruleIDs: [], reason: Decision.noRulePermits, policyHash: hash)
        }
        return Evaluation(decision: decision, trace: traces)
    }

    // MARK: - Rules

    enum Check {
        case holds(String)
        case fails(String)
        case error(String)
    }

    static func trace(_ rule: Rule, _ request: PolicyRequest) -> RuleTrace {
        let kind = request.action.kind
        guard rule.actions.contains(kind) else {
            return RuleTrace(ruleID: rule.id, effect: rule.effect, outcome: .notMatched,
                             notes: ["action \(kind.rawValue) is not in \(rule.actions.map(\.rawValue).sorted())"])
        }
        // Like `actions`, `compensation` says which requests a rule is about; it is always known, so it is
        // decided first, and a rule about the other kind does not apply even where its conditions would
        // fail to evaluate (a compensation has no effects; `compensation = false` keeps effect forbids off it).
        var notes = ["action \(kind.rawValue) is listed"]
        if let wanted = rule.compensation {
            let what = request.compensation ? "a compensation of the rollback" : "not a compensation"
            guard request.compensation == wanted else {
                return RuleTrace(ruleID: rule.id, effect: rule.effect, outcome: .notMatched, notes: notes + ["does not hold: \(what)"])
            }
            notes.append("holds: \(what)")
        }
        var checks: [Check] = []
        if let c = rule.target { checks += windowChecks(c, request.targetWindow, label: "target", request: request) }
        if let c = rule.focused { checks += windowChecks(c, request.focusedWindow, label: "focused", request: request) }
        if let c = rule.text { checks += textChecks(c, request) }
        if let c = rule.keys { checks.append(keyCheck(c, effect: rule.effect, request)) }
        if let c = rule.effects { checks += effectChecks(c, request.effects, pending: request.effectsPending) }
        if let wanted = rule.irreversible { checks.append(irreversibleCheck(wanted, request.irreversible)) }
        if let wanted = rule.rehearsalDiverged { checks.append(divergedCheck(wanted, request)) }

        var failed = false, allHold = true
        for check in checks {
            switch check {
            case .holds(let s): notes.append("holds: \(s)")
            case .fails(let s): notes.append("does not hold: \(s)"); allHold = false
            case .error(let s): notes.append("cannot evaluate: \(s)"); failed = true
            }
        }
        let outcome: RuleTrace.Outcome
        if failed {
            outcome = .failed(countsAsMatch: rule.effect != .permit)
        } else {
            outcome = allHold ? .matched : .notMatched
        }
        return RuleTrace(ruleID: rule.id, effect: rule.effect, outcome: outcome, notes: notes)
    }

    static func windowChecks(_ c: WindowCondition, _ window: WindowFacts?, label: String,
                             request: PolicyRequest) -> [Check] {
        guard let w = window else { return [.error("no \(label) window is known")] }
        var checks: [Check] = []
        if let list = c.executable {
            if let exe = w.executable {
                checks.append(list.contains(exe) ? .holds("\(label) executable \(exe) is listed")
                                                 : .fails("\(label) executable \(exe) is not in \(list)"))
            } else {
                checks.append(.error("the \(label) window's executable is unknown"))
            }
        }
        if let list = c.windowClass {
            checks.append(list.contains(w.windowClass) ? .holds("\(label) class \"\(w.windowClass)\" is listed")
                                                       : .fails("\(label) class \"\(w.windowClass)\" is not in \(list)"))
        }
        if let list = c.instance {
            checks.append(list.contains(w.instance) ? .holds("\(label) instance \"\(w.instance)\" is listed")
                                                    : .fails("\(label) instance \"\(w.instance)\" is not in \(list)"))
        }
        if let p = c.title {
            checks.append(p.found(in: w.title) ? .holds("\(label) title \"\(w.title)\" matches /\(p.source)/")
                                               : .fails("\(label) title \"\(w.title)\" does not match /\(p.source)/"))
        }
        if let region = c.region {
            checks.append(regionCheck(region, window: w, request: request))
        }
        return checks
    }

    static func regionCheck(_ region: Region, window: WindowFacts, request: PolicyRequest) -> Check {
        guard let points = request.touchedPoints else { return .error("the pointer position is unknown") }
        guard !points.isEmpty else { return .error("the action has no point to place in a region") }
        let rect: Rect, name: String
        switch region {
        case .clientArea:
            rect = window.frame; name = "the target window's client area"
        case .screen(let r):
            rect = r; name = "region \(describe(r))"
        case .window(let r):
            rect = Rect(x: Double(window.x) + r.x, y: Double(window.y) + r.y, width: r.width, height: r.height)
            name = "window region \(describe(r)) (on screen \(describe(rect)))"
        }
        let outside = points.filter { !rect.contains($0) }
        return outside.isEmpty ? .holds("\(points.map(\.description).joined(separator: ", ")) inside \(name)")
                               : .fails("\(outside.map(\.description).joined(separator: ", ")) outside \(name)")
    }

    static func describe(_ r: Rect) -> String {
        "[\(Point.formatted(r.x)), \(Point.formatted(r.y)), \(Point.formatted(r.width)), \(Point.formatted(r.height))]"
    }

    static func textChecks(_ c: TextCondition, _ request: PolicyRequest) -> [Check] {
        guard let text = request.text else { return [.fails("the action carries no text")] }
        var checks: [Check] = []
        if let p = c.matches {
            checks.append(p.matchesWhole(text) ? .holds("text matches /\(p.source)/ in full")
                                               : .fails("text does not match /\(p.source)/ in full"))
        }
        if let p = c.contains {
            checks.append(p.found(in: text) ? .holds("text contains /\(p.source)/") : .fails("text does not contain /\(p.source)/"))
        }
        if let n = c.maxLength {
            let length = text.unicodeScalars.count
            checks.append(length <= n ? .holds("text length \(length) ≤ \(n)") : .fails("text length \(length) > \(n)"))
        }
        if let cc = c.controlCharacters {
            let found = TextInspection.controlCharacters(in: text)
            let present = !found.isEmpty
            let description = present ? "text contains control characters \(found)" : "text has no control characters"
            checks.append(present == (cc == .present) ? .holds(description) : .fails(description))
        }
        if let wanted = c.secrets {
            let kinds = SecretDetector.detect(in: text).map(\.rawValue)
            let description = kinds.isEmpty ? "no secret detected" : "secret detected: \(kinds.joined(separator: ", "))"
            checks.append(kinds.isEmpty != wanted ? .holds(description) : .fails(description))
        }
        return checks
    }

    /// Forbid and ask entries match any chord that contains them (`super` matches `super+e`, `ctrl+alt+t`
    /// matches `ctrl+alt+shift+t`); permit entries match only the exact chord. Both err on the safe side.
    static func keyCheck(_ c: KeyCondition, effect: RuleEffect, _ request: PolicyRequest) -> Check {
        guard case .key(let chord) = request.action else { return .fails("not a key action") }
        let hit = c.any.first { effect == .permit ? chord == $0 : chord.contains($0) }
        if let hit {
            return .holds("chord \(chord.normalized) \(effect == .permit ? "is" : "contains") \(hit.normalized)")
        }
        return .fails("chord \(chord.normalized) is not among \(c.any.map(\.normalized))")
    }

    static func irreversibleCheck(_ wanted: Bool, _ irreversible: Bool?) -> Check {
        guard let irreversible else { return .error("whether the action can be undone is unknown (no sandbox)") }
        return irreversible == wanted ? .holds("irreversible: \(irreversible)") : .fails("irreversible: \(irreversible)")
    }

    static func divergedCheck(_ wanted: Bool, _ request: PolicyRequest) -> Check {
        guard let diverged = request.rehearsalDiverged else {
            if request.effectsPending {
                return .fails("rehearsal pending: the action is rehearsed next and decided again")
            }
            return .error("the action was not rehearsed, so whether its rehearsal diverged is unknown")
        }
        return diverged == wanted ? .holds("rehearsal diverged: \(diverged)") : .fails("rehearsal diverged: \(diverged)")
    }

    static func effectChecks(_ c: EffectsCondition, _ effects: RehearsalEffects?, pending: Bool = false) -> [Check] {
        if effects == nil && pending {
            return [.fails("effects pending: the action is rehearsed next and decided again with its effects")]
        }
        guard let e = effects else { return [.error("the action was not rehearsed, so its effects are unknown")] }
        var checks: [Check] = []
        if let dirs = c.filesOutside {
            let outside = e.allFiles.filter { file in !dirs.contains { TextInspection.path(file, isInside: $0) } }
            checks.append(outside.isEmpty ? .fails("no file touched outside \(dirs)") : .holds("files touched outside \(dirs): \(outside)"))
        }
        if let wanted = c.newWindow {
            let any = !e.newWindows.isEmpty
            checks.append(any == wanted ? .holds("new window: \(any)") : .fails("new window: \(any)"))
        }
        if let list = c.newWindowExecutable {
            if e.newWindows.contains(where: { $0.executable == nil }) {
                checks.append(.error("a new window's executable is unknown"))
            } else {
                let hits = e.newWindows.compactMap(\.executable).filter(list.contains)
                checks.append(hits.isEmpty ? .fails("no new window of \(list)") : .holds("new window of \(hits)"))
            }
        }
        if let list = c.spawned {
            let hits = e.spawnedExecutables.filter(list.contains)
            checks.append(hits.isEmpty ? .fails("no process of \(list) spawned") : .holds("spawned \(hits)"))
        }
        if let wanted = c.spawnedAny {
            let any = !e.spawnedExecutables.isEmpty
            checks.append(any == wanted ? .holds("process spawned: \(any)") : .fails("process spawned: \(any)"))
        }
        if let wanted = c.network {
            if let why = e.networkNotObservable {
                checks.append(.error("network attempts were not observable (\(why)), so whether there were any is unknown"))
            } else {
                let any = !e.networkAttempts.isEmpty
                let seen = any ? ": \(e.networkAttempts.prefix(3).joined(separator: ", "))\(e.networkAttempts.count > 3 ? ", …" : "")" : ""
                checks.append(any == wanted ? .holds("network attempt: \(any)\(seen)") : .fails("network attempt: \(any)\(seen)"))
            }
        }
        return checks
    }

    // MARK: - Built-in forbids

    /// Forbids that every policy has: points off the screen, and each budget the policy sets. Budgets do
    /// not apply to `terminate` and `answer`, which end the run and must stay possible.
    func builtinTraces(_ request: PolicyRequest) -> [RuleTrace] {
        func forbid(_ id: String, _ matched: Bool, _ note: String) -> RuleTrace {
            RuleTrace(ruleID: id, effect: .forbid, outcome: matched ? .matched : .notMatched, notes: [note])
        }
        var traces: [RuleTrace] = []
        let w = request.screenWidth, h = request.screenHeight
        if let points = request.touchedPoints {
            let off = points.filter { !($0.x.isFinite && $0.y.isFinite && $0.x >= 0 && $0.y >= 0
                                        && $0.x < Double(w) && $0.y < Double(h)) }
            traces.append(forbid("builtin.point-off-screen", !off.isEmpty,
                                 off.isEmpty ? "every point is on the \(w)x\(h) screen"
                                             : "\(off.map(\.description).joined(separator: ", ")) off the \(w)x\(h) screen"))
        } else {
            traces.append(RuleTrace(ruleID: "builtin.point-off-screen", effect: .forbid, outcome: .failed(countsAsMatch: true),
                                    notes: ["the action acts at the pointer, whose position is unknown"]))
        }
        let kind = request.action.kind
        guard kind != .terminate && kind != .answer else { return traces }
        let b = request.budget
        if let max = budgets.maxSteps {
            traces.append(forbid("budget.max_steps", b.steps >= max, "\(b.steps) of \(max) steps taken"))
        }
        if let max = budgets.maxSeconds {
            traces.append(forbid("budget.max_seconds", b.elapsedSeconds >= max,
                                 "\(Point.formatted(b.elapsedSeconds)) of \(Point.formatted(max)) seconds elapsed"))
        }
        if let max = budgets.maxActionsPerMinute {
            traces.append(forbid("budget.max_actions_per_minute", b.actionsInLastMinute >= max,
                                 "\(b.actionsInLastMinute) of \(max) actions in the last minute"))
        }
        if let max = budgets.maxTypedChars, let text = request.action.typedText {
            let total = b.typedCharacters + text.unicodeScalars.count
            traces.append(forbid("budget.max_typed_chars", total > max, "\(total) of \(max) characters typed with this action"))
        }
        if let max = budgets.maxConsecutiveDenials {
            traces.append(forbid("budget.max_consecutive_denials", b.consecutiveDenials >= max,
                                 "\(b.consecutiveDenials) of \(max) consecutive denials"))
        }
        return traces
    }
}

extension Point {
    static func formatted(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
