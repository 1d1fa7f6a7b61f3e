// `policy lint`: findings about a policy that parsed. Schema errors, unknown keys and regexes that do
// not compile already stop parsing; this looks for policies that are legal but wrong:
//   - a permit that rests only on attributes the application controls (title, class, instance);
//   - a rule shadowed by a broader forbid (it can never decide);
//   - conditions that can never hold for the rule's actions (text on a click, keys on typing, region on keys);
//   - a permit for secrets, a permit of input actions with no executable and no region;
//   - regexes with nested quantifiers (catastrophic backtracking on long input);
//   - a forbid or ask on effects that also catches a rollback's (unrehearsed) compensations.

import Actions
import Foundation

public struct LintFinding: Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var severity: Severity
    public var ruleID: String?
    public var message: String
    public var description: String { "\(severity.rawValue): \(ruleID.map { "rule \($0): " } ?? "")\(message)" }
}

extension Policy {
    public func lint() -> [LintFinding] {
        var findings: [LintFinding] = []
        func error(_ rule: Rule, _ message: String) { findings.append(LintFinding(severity: .error, ruleID: rule.id, message: message)) }
        func warning(_ rule: Rule, _ message: String) { findings.append(LintFinding(severity: .warning, ruleID: rule.id, message: message)) }

        let textActions: Set<ActionKind> = [.type, .answer]
        let pointActions: Set<ActionKind> = [.mouseMove, .leftClick, .leftClickDrag, .rightClick, .middleClick,
                                             .doubleClick, .tripleClick, .scroll, .hscroll]
        for rule in rules.sorted(by: { $0.id < $1.id }) {
            let windows = [rule.target, rule.focused].compactMap { $0 }
            let hasExecutable = windows.contains { $0.executable != nil }
            let hasRegion = rule.target?.region != nil
            let inputActions = rule.actions.filter { !$0.isObservationOnly }

            if rule.effect == .permit {
                if windows.contains(where: \.usesSpoofableAttributes) && !hasExecutable && !hasRegion {
                    error(rule, "permit rests only on title/class/instance, which the application controls; add an executable or a region")
                } else if !inputActions.isEmpty && !hasExecutable && !hasRegion {
                    warning(rule, "permits \(inputActions.map(\.rawValue).sorted()) in any window and anywhere on the screen")
                }
                if rule.text?.secrets == true { error(rule, "permits text in which a secret was detected") }
                if rule.text?.controlCharacters == .present { warning(rule, "permits text because it contains control characters") }
            }
            if rule.text != nil && rule.actions.isDisjoint(with: textActions) {
                error(rule, "text conditions never hold for \(rule.actions.map(\.rawValue).sorted()), which carry no text")
            }
            if rule.keys != nil && !rule.actions.contains(.key) {
                error(rule, "keys conditions never hold without the key action")
            }
            if rule.target?.region != nil && rule.actions.isDisjoint(with: pointActions) {
                error(rule, "a region condition needs a pointer action; for \(rule.actions.map(\.rawValue).sorted()) it cannot be evaluated")
            }
            // A rollback's compensations (keys, scrolls) are not rehearsed, so effect conditions fail on them.
            let compensationKinds: Set<ActionKind> = [.key, .scroll, .hscroll]
            if (rule.effects != nil || rule.rehearsalDiverged != nil) && rule.effect != .permit && rule.compensation == nil
                && !rule.actions.isDisjoint(with: compensationKinds) {
                warning(rule, "effect conditions fail safe on a rollback's compensations, which are not rehearsed: this rule \(rule.effect == .forbid ? "denies" : "asks for") every compensation; add compensation = false to judge the model's actions only")
            }
            for (path, pattern) in patterns(of: rule) where Policy.hasNestedQuantifier(pattern.source) {
                warning(rule, "\(path) /\(pattern.source)/ nests quantifiers (slow on long input)")
            }
        }

        // Shadowing: a forbid whose actions include R's and whose every condition R also has (identically)
        // matches whenever R does, so R never decides. Same for a permit under an ask.
        let conditionSets = Dictionary(uniqueKeysWithValues: rules.map { ($0.id, Policy.conditions(of: $0)) })
        for rule in rules.sorted(by: { $0.id < $1.id }) where rule.effect != .forbid {
            let mine = conditionSets[rule.id] ?? [:]
            for broader in rules.sorted(by: { $0.id < $1.id }) where broader.id != rule.id {
                let overrides = broader.effect == .forbid || (broader.effect == .ask && rule.effect == .permit)
                guard overrides, broader.actions.isSuperset(of: rule.actions) else { continue }
                let theirs = conditionSets[broader.id] ?? [:]
                if theirs.allSatisfy({ mine[$0.key] == $0.value }) {
                    findings.append(LintFinding(severity: .error, ruleID: rule.id,
                                                message: "shadowed by \(broader.effect.rawValue) \(broader.id): it matches whenever this rule does"))
                    break
                }
            }
        }
        if !rules.contains(where: { $0.effect == .permit }) {
            findings.append(LintFinding(severity: .warning, ruleID: nil, message: "no permit rule: every action is denied"))
        }
        return findings
    }

    /// Each condition of a rule as (path, canonical JSON), for comparing rules condition by condition.
    static func conditions(of rule: Rule) -> [String: String] {
        guard case .object(let members) = canonical(rule) else { return [:] }
        var out: [String: String] = [:]
        for (group, value) in members where !["id", "effect", "actions", "reason"].contains(group) {
            // A condition that is a single value (`irreversible`) is a condition of its own.
            guard case .object(let fields) = value else { out[group] = value.serialized; continue }
            for (field, v) in fields { out["\(group).\(field)"] = v.serialized }
        }
        return out
    }

    func patterns(of rule: Rule) -> [(String, Pattern)] {
        var out: [(String, Pattern)] = []
        if let p = rule.target?.title { out.append(("target.title", p)) }
        if let p = rule.focused?.title { out.append(("focused.title", p)) }
        if let p = rule.text?.matches { out.append(("text.matches", p)) }
        if let p = rule.text?.contains { out.append(("text.contains", p)) }
        return out
    }

    /// A group that contains a quantifier and is itself quantified, like `(a+)+` or `(\w*)*`.
    static func hasNestedQuantifier(_ source: String) -> Bool {
        let probe = try? NSRegularExpression(pattern: #"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]"#)
        return probe?.firstMatch(in: source, range: NSRange(source.startIndex..., in: source)) != nil
    }
}
