// The canonical form of a decoded policy: compact JSON with object keys sorted, rules sorted by id,
// and every list that is a set (actions, executables, classes, chords) sorted, chords normalized.
// Two files that mean the same policy — rules reordered, chords respelled, comments changed — have the
// same canonical form and the same hash. The hash (SHA-256, hex) is what decisions and the audit cite.

import Actions
import Crypto
import Foundation
import StrictJSON

extension Policy {
    /// The canonical JSON text (see the top of this file).
    public var canonicalJSON: String {
        Policy.canonicalValue(name: name, description: description, budgets: budgets, rules: rules).serialized
    }

    static func computeHash(name: String, description: String, budgets: Budgets, rules: [Rule]) -> String {
        let text = canonicalValue(name: name, description: description, budgets: budgets, rules: rules).serialized
        return SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func canonicalValue(name: String, description: String, budgets: Budgets, rules: [Rule]) -> JSONValue {
        object([
            "policy": .string(name),
            "description": .string(description),
            "budgets": object([
                "max_steps": budgets.maxSteps.map(int),
                "max_seconds": budgets.maxSeconds.map(number),
                "max_actions_per_minute": budgets.maxActionsPerMinute.map(int),
                "max_typed_chars": budgets.maxTypedChars.map(int),
                "max_consecutive_denials": budgets.maxConsecutiveDenials.map(int),
            ]),
            "rules": .array(rules.sorted { $0.id < $1.id }.map(canonical)),
        ])
    }

    static func canonical(_ r: Rule) -> JSONValue {
        object([
            "id": .string(r.id),
            "effect": .string(r.effect.rawValue),
            "actions": strings(r.actions.map(\.rawValue)),
            "reason": r.reason.map(JSONValue.string),
            "target": r.target.map(canonical),
            "focused": r.focused.map(canonical),
            "text": r.text.map { t in
                object([
                    "matches": t.matches.map { .string($0.source) },
                    "contains": t.contains.map { .string($0.source) },
                    "max_length": t.maxLength.map(int),
                    "control_characters": t.controlCharacters.map { .string($0.rawValue) },
                    "secrets": t.secrets.map(JSONValue.bool),
                ])
            },
            "keys": r.keys.map { k in object(["any": strings(k.any.map(\.normalized))]) },
            "irreversible": r.irreversible.map(JSONValue.bool),
            "compensation": r.compensation.map(JSONValue.bool),
            "rehearsal_diverged": r.rehearsalDiverged.map(JSONValue.bool),
            "effects": r.effects.map { e in
                object([
                    "files_outside": e.filesOutside.map(strings),
                    "new_window": e.newWindow.map(JSONValue.bool),
                    "new_window_executable": e.newWindowExecutable.map(strings),
                    "spawned": e.spawned.map(strings),
                    "spawned_any": e.spawnedAny.map(JSONValue.bool),
                    "network": e.network.map(JSONValue.bool),
                ])
            },
        ])
    }

    static func canonical(_ w: WindowCondition) -> JSONValue {
        var region: JSONValue?
        switch w.region {
        case .clientArea?: region = .string("client-area")
        case .screen(let r)?: region = object(["screen": rect(r)])
        case .window(let r)?: region = object(["window": rect(r)])
        case nil: region = nil
        }
        return object([
            "executable": w.executable.map(strings),
            "class": w.windowClass.map(strings),
            "instance": w.instance.map(strings),
            "title": w.title.map { .string($0.source) },
            "region": region,
        ])
    }

    static func rect(_ r: Rect) -> JSONValue { .array([number(r.x), number(r.y), number(r.width), number(r.height)]) }
    static func int(_ i: Int) -> JSONValue { .number(String(i)) }
    static func number(_ d: Double) -> JSONValue { .number(Point.formatted(d)) }
    static func strings(_ list: [String]) -> JSONValue { .array(Array(Set(list)).sorted().map(JSONValue.string)) }

    /// An object with nil members dropped and the rest sorted by key.
    static func object(_ members: [String: JSONValue?]) -> JSONValue {
        .object(members.compactMap { k, v in v.map { (key: k, value: $0) } }.sorted { $0.key < $1.key })
    }
}
