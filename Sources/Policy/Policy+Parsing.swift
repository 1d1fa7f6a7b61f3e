// The policy file schema (TOML). Stage one of parse → validate → evaluate: everything that can be
// checked without an action is checked here, so a policy that loads is a policy that can be evaluated.
//
//   policy = "name"                      required
//   description = "…"                    optional
//   [budgets]                            optional: max_steps, max_seconds, max_actions_per_minute,
//                                        max_typed_chars, max_consecutive_denials
//   [[rule]]
//   id = "…"                             required, unique, [A-Za-z0-9._-]+, not starting with "budget." or "builtin."
//   effect = "permit" | "ask" | "forbid" required
//   actions = ["left_click", …]          required, computer_use action names
//   reason = "…"                         optional
//   target.executable / .class / .instance = string or [strings]   exact match
//   target.title = 'regex'               searched
//   target.region = "client-area" | [x, y, w, h] (screen pixels)
//   target.window_region = [x, y, w, h]  relative to the target window's origin
//   focused.executable / .class / .instance / .title   as for target (no region)
//   text.matches = 'regex' (whole text)  text.contains = 'regex' (anywhere)  text.max_length = N
//   text.control_characters = "absent" | "present"     text.secrets = true | false
//   keys.any = ["ctrl+alt+t", "super", …]              any spelling KeyChord understands
//   effects.files_outside = ["/dir", …]  effects.new_window = bool  effects.new_window_executable = [...]
//   effects.spawned = [...]  effects.spawned_any = bool  effects.network = bool
//   irreversible = bool                                 the sandbox can (false) / cannot (true) undo the action
//   compensation = bool                                 the request is (true) / is not (false) a rollback's compensation
//   rehearsal_diverged = bool                           the rehearsal did (true) / did not (false) start from the live state

import Actions
import Foundation
import StrictTOML

extension Policy {
    /// Reads a policy file. Errors name the file.
    public static func load(path: String) throws -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError.unreadable(file: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError.unreadable(file: path, reason: "not UTF-8")
        }
        do { return try Policy(toml: text) } catch let error as PolicyError { throw PolicyError.inFile(path, error) }
    }

    public init(toml text: String) throws {
        self = try PolicyError.mappingSchemaErrors { try Policy.parse(text) }
    }

    private static func parse(_ text: String) throws -> Policy {
        var root = try TOMLReader(parsing: text)
        let name = try root.requiredString("policy")
        let description = try root.string("description") ?? ""
        var budgets = Budgets()
        if var b = try root.table("budgets") {
            budgets.maxSteps = try b.int("max_steps")
            budgets.maxSeconds = try b.number("max_seconds")
            budgets.maxActionsPerMinute = try b.int("max_actions_per_minute")
            budgets.maxTypedChars = try b.int("max_typed_chars")
            budgets.maxConsecutiveDenials = try b.int("max_consecutive_denials", min: 1)
            if let s = budgets.maxSeconds, s < 0 {
                throw PolicyError.invalidValue(path: "budgets.max_seconds", reason: "must not be negative")
            }
            try b.finish()
        }
        var rules: [Rule] = []
        var seen: Set<String> = []
        for var r in try root.tables("rule") {
            let rule = try Policy.parseRule(&r)
            guard seen.insert(rule.id).inserted else { throw PolicyError.duplicateRuleID(id: rule.id, path: r.child("id")) }
            try r.finish()
            rules.append(rule)
        }
        try root.finish()
        return Policy(name: name, description: description, budgets: budgets, rules: rules)
    }

    static func parseRule(_ r: inout TOMLReader) throws -> Rule {
        let id = try r.requiredString("id")
        let idChars = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !id.isEmpty, id.unicodeScalars.allSatisfy(idChars.contains), id.count <= 100 else {
            throw PolicyError.invalidValue(path: r.child("id"), reason: "use 1–100 of A-Z a-z 0-9 . _ -")
        }
        guard !id.hasPrefix("budget."), !id.hasPrefix("builtin.") else {
            throw PolicyError.invalidValue(path: r.child("id"), reason: "ids starting with budget. or builtin. are reserved")
        }
        let effectText = try r.requiredString("effect")
        guard let effect = RuleEffect(rawValue: effectText) else {
            throw PolicyError.invalidValue(path: r.child("effect"), reason: "\"\(effectText)\" is not permit, ask or forbid")
        }
        guard let actionNames = try r.strings("actions") else { throw PolicyError.missingKey(path: r.child("actions")) }
        var actions: Set<ActionKind> = []
        for (i, name) in actionNames.enumerated() {
            guard let kind = ActionKind(rawValue: name) else {
                throw PolicyError.invalidValue(path: "\(r.child("actions"))[\(i)]",
                                               reason: "unknown action \"\(name)\" (expected one of \(ActionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            actions.insert(kind)
        }
        var rule = Rule(id: id, effect: effect, actions: actions, reason: try r.string("reason"))
        if var t = try r.table("target") {
            rule.target = try parseWindow(&t, allowRegion: true)
        }
        if var f = try r.table("focused") {
            rule.focused = try parseWindow(&f, allowRegion: false)
        }
        if var t = try r.table("text") {
            var c = TextCondition()
            c.matches = try t.string("matches").map { try Pattern($0, path: t.child("matches")) }
            c.contains = try t.string("contains").map { try Pattern($0, path: t.child("contains")) }
            c.maxLength = try t.int("max_length")
            if let cc = try t.string("control_characters") {
                guard let value = ControlCharacters(rawValue: cc) else {
                    throw PolicyError.invalidValue(path: t.child("control_characters"), reason: "\"\(cc)\" is not absent or present")
                }
                c.controlCharacters = value
            }
            c.secrets = try t.bool("secrets")
            try t.finish()
            guard c != TextCondition() else { throw PolicyError.invalidValue(path: t.path, reason: "empty condition table") }
            rule.text = c
        }
        if var k = try r.table("keys") {
            guard let spellings = try k.strings("any") else { throw PolicyError.missingKey(path: k.child("any")) }
            var chords: [KeyChord] = []
            for (i, spelling) in spellings.enumerated() {
                do { chords.append(try KeyChord(parsing: spelling)) } catch {
                    throw PolicyError.invalidValue(path: "\(k.child("any"))[\(i)]", reason: "\(error)")
                }
            }
            try k.finish()
            rule.keys = KeyCondition(any: chords)
        }
        if var e = try r.table("effects") {
            var c = EffectsCondition()
            c.filesOutside = try e.strings("files_outside")
            c.newWindow = try e.bool("new_window")
            c.newWindowExecutable = try e.strings("new_window_executable")
            c.spawned = try e.strings("spawned")
            c.spawnedAny = try e.bool("spawned_any")
            c.network = try e.bool("network")
            try e.finish()
            guard c != EffectsCondition() else { throw PolicyError.invalidValue(path: e.path, reason: "empty condition table") }
            if let dirs = c.filesOutside, let bad = dirs.firstIndex(where: { !$0.hasPrefix("/") }) {
                throw PolicyError.invalidValue(path: "\(e.child("files_outside"))[\(bad)]", reason: "must be an absolute path")
            }
            rule.effects = c
        }
        rule.irreversible = try r.bool("irreversible")
        rule.compensation = try r.bool("compensation")
        rule.rehearsalDiverged = try r.bool("rehearsal_diverged")
        return rule
    }

    static func parseWindow(_ t: inout TOMLReader, allowRegion: Bool) throws -> WindowCondition {
        var c = WindowCondition()
        c.executable = try t.strings("executable")
        if let paths = c.executable, let bad = paths.firstIndex(where: { !$0.hasPrefix("/") }) {
            throw PolicyError.invalidValue(path: "\(t.child("executable"))[\(bad)]", reason: "must be an absolute path")
        }
        c.windowClass = try t.strings("class")
        c.instance = try t.strings("instance")
        c.title = try t.string("title").map { try Pattern($0, path: t.child("title")) }
        if allowRegion {
            if t.has("region") {
                if let s = t.stringIfString("region") {
                    guard s == "client-area" else {
                        throw PolicyError.invalidValue(path: t.child("region"), reason: "\"\(s)\" is not client-area or [x, y, w, h]")
                    }
                    c.region = .clientArea
                } else {
                    c.region = .screen(try rect(&t, "region"))
                }
            }
            if t.has("window_region") {
                guard c.region == nil else {
                    throw PolicyError.invalidValue(path: t.child("window_region"), reason: "use either region or window_region")
                }
                c.region = .window(try rect(&t, "window_region"))
            }
        }
        try t.finish()
        guard c != WindowCondition() else { throw PolicyError.invalidValue(path: t.path, reason: "empty condition table") }
        return c
    }

    static func rect(_ t: inout TOMLReader, _ key: String) throws -> Rect {
        guard let n = try t.numbers(key, count: 4) else { throw PolicyError.missingKey(path: t.child(key)) }
        guard n[2] > 0, n[3] > 0 else { throw PolicyError.invalidValue(path: t.child(key), reason: "width and height must be positive") }
        return Rect(x: n[0], y: n[1], width: n[2], height: n[3])
    }
}
