// Key chords in the spellings people and models use, normalized to one form.
//
// `ctrl+alt+t`, `Control_L+Alt_L+T`, `C-M-t` and the computer_use array ["ctrl", "alt", "t"] are the
// same chord. Policy rules compare normalized chords, so a forbidden chord cannot be smuggled past a
// rule by respelling it. Execution uses `keys`, the X keysym names in press order.

public enum KeyModifier: String, CaseIterable, Comparable, Hashable, Sendable {
    case ctrl, alt, shift, `super`

    /// The X keysym pressed for this modifier.
    public var keysym: String {
        switch self {
        case .ctrl: return "Control_L"
        case .alt: return "Alt_L"
        case .shift: return "Shift_L"
        case .super: return "Super_L"
        }
    }

    /// The canonical order: ctrl, alt, shift, super.
    var rank: Int {
        switch self {
        case .ctrl: return 0
        case .alt: return 1
        case .shift: return 2
        case .super: return 3
        }
    }

    public static func < (a: KeyModifier, b: KeyModifier) -> Bool { a.rank < b.rank }
}

public struct KeyChord: Hashable, Sendable, CustomStringConvertible {
    /// X keysym names in press order (released in reverse).
    public let keys: [String]
    /// The modifiers among `keys`.
    public let modifiers: Set<KeyModifier>
    /// The keys that are not modifiers, as X keysym names, in press order.
    public let nonModifierKeys: [String]

    /// The canonical spelling: modifiers in the order ctrl, alt, shift, super, then the other keys.
    public var normalized: String {
        (modifiers.sorted().map(\.rawValue) + nonModifierKeys).joined(separator: "+")
    }

    /// The keys as a model would spell them (modifier names, then keysyms), in press order.
    public var spelledKeys: [String] {
        keys.map { k in KeyChord.modifier(for: k)?.rawValue ?? k }
    }

    public var description: String { normalized }
    public static func == (a: KeyChord, b: KeyChord) -> Bool { a.normalized == b.normalized }
    public func hash(into h: inout Hasher) { h.combine(normalized) }

    /// Builds a chord from the computer_use `keys` array. An element may itself be a chord
    /// spelling (`["ctrl+c"]`), which models sometimes produce.
    public init(keys names: [String]) throws {
        var keysyms: [String] = []
        for name in names {
            keysyms += try KeyChord.split(name).map(KeyChord.keysym(for:))
        }
        try self.init(keysyms: keysyms)
    }

    /// Parses one chord spelling: `ctrl+shift+t`, `Control_L+T`, `C-M-t`, `super`, `ctrl++`.
    public init(parsing text: String) throws {
        try self.init(keysyms: KeyChord.split(text).map(KeyChord.keysym(for:)))
    }

    init(keysyms: [String]) throws {
        guard !keysyms.isEmpty else { throw ActionError.emptyChord }
        var seen = Set<String>()
        var ordered: [String] = []
        for k in keysyms where seen.insert(k).inserted { ordered.append(k) }
        keys = ordered
        modifiers = Set(ordered.compactMap(KeyChord.modifier(for:)))
        nonModifierKeys = ordered.filter { KeyChord.modifier(for: $0) == nil }
    }

    /// True when every key of `other` is part of this chord (a modifier-only pattern like `super`
    /// is contained in every chord that holds super).
    public func contains(_ other: KeyChord) -> Bool {
        other.modifiers.isSubset(of: modifiers) && other.nonModifierKeys.allSatisfy(nonModifierKeys.contains)
    }

    // MARK: - Spelling

    /// Splits one spelling into key names. Emacs style (`C-M-t`) is recognized when every part but
    /// the last is one of its single-letter modifier prefixes.
    static func split(_ text: String) throws -> [String] {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw ActionError.emptyChord }
        if trimmed == "+" || trimmed == "-" { return [trimmed] }
        let dashParts = trimmed.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        if dashParts.count > 1, let key = dashParts.last, !key.isEmpty {
            let prefixes = dashParts.dropLast().compactMap { emacsPrefixes[$0] }
            if prefixes.count == dashParts.count - 1 { return prefixes + [key] }
        }
        var parts: [String] = []
        var current = ""
        for ch in trimmed {
            if ch == "+" {
                if current.isEmpty { current = "+" } else { parts.append(current); current = "" }
            } else {
                current.append(ch)
            }
        }
        // A separator with nothing after it ("ctrl+") names no key.
        guard !current.isEmpty else { throw ActionError.unknownKey(text) }
        parts.append(current)
        let names = parts.map { $0.trimmingWhitespace() }
        if names.contains(where: \.isEmpty) { throw ActionError.unknownKey(text) }
        return names
    }

    static let emacsPrefixes: [String: String] = ["C": "ctrl", "M": "alt", "A": "alt", "S": "shift", "s": "super"]

    static func modifier(for keysym: String) -> KeyModifier? {
        switch keysym {
        case "Control_L", "Control_R": return .ctrl
        case "Alt_L", "Alt_R", "Meta_L", "Meta_R": return .alt
        case "Shift_L", "Shift_R": return .shift
        case "Super_L", "Super_R": return .super
        default: return nil
        }
    }

    /// Maps one key name to its X keysym name. Letters are case-folded (`T` is the t key; shift is a
    /// separate modifier), common aliases are folded, and other identifiers pass through as keysym names.
    static func keysym(for name: String) throws -> String {
        if name.count == 1, let ch = name.first {
            if ch.isLetter, ch.isASCII { return ch.lowercased() }
            if ch.isNumber, ch.isASCII { return String(ch) }
            if let p = punctuation[ch] { return p }
        }
        let lower = name.lowercased()
        if let m = modifierAliases[lower] { return m.keysym }
        if let a = aliases[lower] { return a }
        if lower.count >= 2, lower.first == "f", let n = Int(lower.dropFirst()), (1...35).contains(n) { return "F\(n)" }
        let isIdentifier = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
        guard isIdentifier, let first = name.unicodeScalars.first, first.properties.isAlphabetic, name.count <= 64 else {
            throw ActionError.unknownKey(name)
        }
        return name
    }

    static let modifierAliases: [String: KeyModifier] = [
        "ctrl": .ctrl, "control": .ctrl, "ctl": .ctrl, "control_l": .ctrl, "control_r": .ctrl, "strg": .ctrl,
        "alt": .alt, "alt_l": .alt, "alt_r": .alt, "meta": .alt, "meta_l": .alt, "meta_r": .alt, "option": .alt, "opt": .alt,
        "shift": .shift, "shift_l": .shift, "shift_r": .shift,
        "super": .super, "super_l": .super, "super_r": .super, "win": .super, "windows": .super, "cmd": .super,
        "command": .super, "logo": .super, "mod4": .super,
    ]

    static let aliases: [String: String] = [
        "enter": "Return", "return": "Return", "ret": "Return", "kp_enter": "KP_Enter",
        "esc": "Escape", "escape": "Escape", "tab": "Tab", "iso_left_tab": "ISO_Left_Tab",
        "backspace": "BackSpace", "back_space": "BackSpace", "bksp": "BackSpace",
        "delete": "Delete", "del": "Delete", "insert": "Insert", "ins": "Insert",
        "home": "Home", "end": "End",
        "pageup": "Prior", "page_up": "Prior", "pgup": "Prior", "prior": "Prior",
        "pagedown": "Next", "page_down": "Next", "pgdn": "Next", "next": "Next",
        "up": "Up", "down": "Down", "left": "Left", "right": "Right",
        "arrowup": "Up", "arrowdown": "Down", "arrowleft": "Left", "arrowright": "Right",
        "space": "space", "spacebar": "space",
        "capslock": "Caps_Lock", "caps_lock": "Caps_Lock", "numlock": "Num_Lock", "num_lock": "Num_Lock",
        "scrolllock": "Scroll_Lock", "scroll_lock": "Scroll_Lock",
        "menu": "Menu", "print": "Print", "printscreen": "Print", "print_screen": "Print", "pause": "Pause",
        "plus": "plus", "minus": "minus", "equal": "equal", "comma": "comma", "period": "period", "slash": "slash",
        "backslash": "backslash", "semicolon": "semicolon", "apostrophe": "apostrophe", "grave": "grave",
        "bracketleft": "bracketleft", "bracketright": "bracketright",
    ]

    static let punctuation: [Character: String] = [
        "+": "plus", "-": "minus", "=": "equal", ",": "comma", ".": "period", "/": "slash", "\\": "backslash",
        ";": "semicolon", "'": "apostrophe", "`": "grave", "[": "bracketleft", "]": "bracketright",
        "!": "exclam", "@": "at", "#": "numbersign", "$": "dollar", "%": "percent", "^": "asciicircum",
        "&": "ampersand", "*": "asterisk", "(": "parenleft", ")": "parenright", "_": "underscore",
        "{": "braceleft", "}": "braceright", "|": "bar", ":": "colon", "\"": "quotedbl", "<": "less",
        ">": "greater", "?": "question", "~": "asciitilde", " ": "space",
    ]
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
