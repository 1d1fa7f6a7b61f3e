// A decoded, validated policy. Produced only by `Policy(toml:)` (PolicyParser.swift), so every value
// here has passed the schema: known keys, compiled regexes, known action kinds, parsed key chords.
// Evaluation: Policy+Evaluation.swift. Canonical form and hash: Policy+Canonical.swift.

import Actions
import Foundation

public struct Policy: Sendable {
    public let name: String
    public let description: String
    public let budgets: Budgets
    /// Rules in file order; order never changes a decision.
    public let rules: [Rule]
    /// SHA-256 (hex) of the canonical form; cited by every decision and audit record.
    public let hash: String

    public init(name: String, description: String, budgets: Budgets, rules: [Rule]) {
        self.name = name
        self.description = description
        self.budgets = budgets
        self.rules = rules
        self.hash = Policy.computeHash(name: name, description: description, budgets: budgets, rules: rules)
    }
}

public struct Budgets: Equatable, Sendable {
    public var maxSteps: Int?
    public var maxSeconds: Double?
    public var maxActionsPerMinute: Int?
    public var maxTypedChars: Int?
    public var maxConsecutiveDenials: Int?

    public init(maxSteps: Int? = nil, maxSeconds: Double? = nil, maxActionsPerMinute: Int? = nil,
                maxTypedChars: Int? = nil, maxConsecutiveDenials: Int? = nil) {
        self.maxSteps = maxSteps
        self.maxSeconds = maxSeconds
        self.maxActionsPerMinute = maxActionsPerMinute
        self.maxTypedChars = maxTypedChars
        self.maxConsecutiveDenials = maxConsecutiveDenials
    }
}

public enum RuleEffect: String, Sendable, CaseIterable {
    case permit, ask, forbid
}

/// One rule: it matches when the action's kind is listed and every condition holds.
public struct Rule: Sendable {
    public var id: String
    public var effect: RuleEffect
    public var actions: Set<ActionKind>
    public var reason: String?
    /// The window that receives the input: under the point for pointer actions, focused for keyboard actions.
    public var target: WindowCondition?
    /// The focused window, whatever the action.
    public var focused: WindowCondition?
    public var text: TextCondition?
    public var keys: KeyCondition?
    public var effects: EffectsCondition?
    /// Holds when the action can (false) or cannot (true) be undone in the sandbox: no compensation and
    /// no checkpoint. Unknown (no sandbox) fails to evaluate, which is fail-safe like `effects`.
    public var irreversible: Bool?
    /// Holds when the request is (true) or is not (false) a compensation: an input the rollback sends to
    /// undo a live step that diverged from its rehearsal, not an action the model proposed. Always known.
    public var compensation: Bool?
    /// Holds when the action's rehearsal did (true) or did not (false) start from the live state — the
    /// rehearsal screen had drifted beyond the threshold or its home differed — in which case its effects
    /// are withheld. Unknown (not rehearsed) fails to evaluate, fail-safe like `effects`.
    public var rehearsalDiverged: Bool?

    public init(id: String, effect: RuleEffect, actions: Set<ActionKind>, reason: String? = nil,
                target: WindowCondition? = nil, focused: WindowCondition? = nil, text: TextCondition? = nil,
                keys: KeyCondition? = nil, effects: EffectsCondition? = nil) {
        self.id = id
        self.effect = effect
        self.actions = actions
        self.reason = reason
        self.target = target
        self.focused = focused
        self.text = text
        self.keys = keys
        self.effects = effects
    }
}

/// A regular expression that compiled when the policy was read. Compared by its source text.
public struct Pattern: Equatable, @unchecked Sendable {
    // NSRegularExpression is immutable and safe to share for matching.
    public let source: String
    let regex: NSRegularExpression
    /// The same pattern anchored at both ends of the input (`\A(?:…)\z`; `$` would allow a final newline).
    let whole: NSRegularExpression

    public static let maximumLength = 512

    public init(_ source: String, path: String) throws {
        guard source.utf16.count <= Pattern.maximumLength else {
            throw PolicyError.invalidRegex(path: path, reason: "longer than \(Pattern.maximumLength) characters")
        }
        do {
            regex = try NSRegularExpression(pattern: source)
            whole = try NSRegularExpression(pattern: "\\A(?:" + source + ")\\z")
        } catch {
            throw PolicyError.invalidRegex(path: path, reason: "\(source) does not compile")
        }
        self.source = source
    }

    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }

    /// True when the pattern matches somewhere in `text` (search semantics).
    public func found(in text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// True when the pattern matches all of `text` (allowlist semantics).
    public func matchesWhole(_ text: String) -> Bool {
        whole.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// A rectangle in pixels: origin and size.
public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public func contains(_ p: Point) -> Bool {
        p.x >= x && p.y >= y && p.x < x + width && p.y < y + height
    }
}

public enum Region: Equatable, Sendable {
    /// Inside the target window's geometry.
    case clientArea
    /// Absolute screen pixels.
    case screen(Rect)
    /// Relative to the target window's origin.
    case window(Rect)
}

/// Facts about a window that a rule requires. Strings in `executable` are exact paths (the X server's
/// attribution, not `_NET_WM_PID`); `windowClass`/`instance` are exact WM_CLASS parts; `title` is searched.
public struct WindowCondition: Equatable, Sendable {
    public var executable: [String]?
    public var windowClass: [String]?
    public var instance: [String]?
    public var title: Pattern?
    /// Only for `target`.
    public var region: Region?

    public init(executable: [String]? = nil, windowClass: [String]? = nil, instance: [String]? = nil,
                title: Pattern? = nil, region: Region? = nil) {
        self.executable = executable
        self.windowClass = windowClass
        self.instance = instance
        self.title = title
        self.region = region
    }

    /// Conditions that the application itself controls and could fake.
    var usesSpoofableAttributes: Bool { windowClass != nil || instance != nil || title != nil }
}

public enum ControlCharacters: String, Sendable {
    /// Holds when the text has no control characters (newline and tab included).
    case absent
    /// Holds when the text has at least one.
    case present
}

public struct TextCondition: Equatable, Sendable {
    /// Holds when the whole text matches (an allowlist).
    public var matches: Pattern?
    /// Holds when the pattern is found anywhere in the text.
    public var contains: Pattern?
    /// Holds when the text has at most this many characters (Unicode scalars).
    public var maxLength: Int?
    public var controlCharacters: ControlCharacters?
    /// true: holds when a secret is detected; false: holds when none is.
    public var secrets: Bool?

    public init(matches: Pattern? = nil, contains: Pattern? = nil, maxLength: Int? = nil,
                controlCharacters: ControlCharacters? = nil, secrets: Bool? = nil) {
        self.matches = matches
        self.contains = contains
        self.maxLength = maxLength
        self.controlCharacters = controlCharacters
        self.secrets = secrets
    }
}

public struct KeyCondition: Equatable, Sendable {
    /// Normalized chords (spelled however the file spelled them).
    public var any: [KeyChord]
    public init(any: [KeyChord]) { self.any = any }
}

/// Conditions on rehearsal effects. A request without effects (no rehearsal) makes them fail to
/// evaluate, which is fail-safe: such forbid/ask rules match and such permits do not.
public struct EffectsCondition: Equatable, Sendable {
    /// Holds when a file was written, created or deleted outside every listed folder.
    public var filesOutside: [String]?
    /// Holds when a new window appeared (true), or when none did (false).
    public var newWindow: Bool?
    /// Holds when a new window belongs to one of these executables.
    public var newWindowExecutable: [String]?
    /// Holds when a process of one of these executables was spawned.
    public var spawned: [String]?
    /// Holds when any process was spawned (true) or none was (false).
    public var spawnedAny: Bool?
    /// Holds when a network attempt was seen (true) or none was (false).
    public var network: Bool?

    public init(filesOutside: [String]? = nil, newWindow: Bool? = nil, newWindowExecutable: [String]? = nil,
                spawned: [String]? = nil, spawnedAny: Bool? = nil, network: Bool? = nil) {
        self.filesOutside = filesOutside
        self.newWindow = newWindow
        self.newWindowExecutable = newWindowExecutable
        self.spawned = spawned
        self.spawnedAny = spawnedAny
        self.network = network
    }
}
