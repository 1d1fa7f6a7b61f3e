import CX11

/// Key names resolved to X keysyms. Chords arrive as lists of names: spelling a chord as text
/// ("ctrl+shift+t", "C-M-t") and normalizing it is `Actions.KeyChord`'s job, and what the policy saw
/// is what reaches this layer, already as keysym names.
///
/// Accepted, in this order: an exact X keysym name (`Return`, `Control_L`, `t`, `T`, `eacute`,
/// `XF86AudioMute`); a common spelling, case-insensitive (`ctrl`, `Enter`, `esc`, `pgup`, `win`);
/// a single character (`+`, `é`, `✓`), which means the keysym that types it; `U+263A`.
/// Pure: needs no X server (XStringToKeysym reads Xlib's built-in table).
public enum KeyNames {
    public typealias KeySymbol = UInt

    /// Spellings beyond X's own names, lowercased. Modifiers map to their left-hand keys.
    static let aliases: [String: String] = [
        "ctrl": "Control_L", "control": "Control_L", "ctl": "Control_L", "lctrl": "Control_L", "rctrl": "Control_R",
        "shift": "Shift_L", "lshift": "Shift_L", "rshift": "Shift_R",
        "alt": "Alt_L", "lalt": "Alt_L", "ralt": "Alt_R", "option": "Alt_L", "opt": "Alt_L", "altgr": "ISO_Level3_Shift",
        "meta": "Meta_L",
        "super": "Super_L", "win": "Super_L", "windows": "Super_L", "cmd": "Super_L", "command": "Super_L", "logo": "Super_L",
        "enter": "Return", "return": "Return", "ret": "Return",
        "esc": "Escape", "escape": "Escape",
        "tab": "Tab", "space": "space", "spacebar": "space",
        "backspace": "BackSpace", "bksp": "BackSpace", "back": "BackSpace",
        "delete": "Delete", "del": "Delete", "insert": "Insert", "ins": "Insert",
        "home": "Home", "end": "End",
        "pageup": "Prior", "page_up": "Prior", "pgup": "Prior", "prior": "Prior",
        "pagedown": "Next", "page_down": "Next", "pgdn": "Next", "next": "Next",
        "up": "Up", "down": "Down", "left": "Left", "right": "Right",
        "arrowup": "Up", "arrowdown": "Down", "arrowleft": "Left", "arrowright": "Right",
        "capslock": "Caps_Lock", "caps_lock": "Caps_Lock", "caps": "Caps_Lock",
        "numlock": "Num_Lock", "scrolllock": "Scroll_Lock",
        "print": "Print", "printscreen": "Print", "prtsc": "Print", "prtscr": "Print",
        "pause": "Pause", "break": "Break", "menu": "Menu", "apps": "Menu", "contextmenu": "Menu",
        "plus": "plus", "minus": "minus", "comma": "comma", "period": "period", "slash": "slash",
    ]

    /// The keysym a key name means.
    public static func keysym(named name: String) throws -> KeySymbol {
        let trimmed = name.trimmingWhitespace
        guard !trimmed.isEmpty else { throw DesktopError.unknownKey(name: name) }
        if let exact = xKeysym(trimmed) { return exact }
        let lower = trimmed.lowercased()
        if let alias = aliases[lower], let ks = xKeysym(alias) { return ks }
        if lower.count >= 2, lower.first == "f", let n = Int(lower.dropFirst()), (1...35).contains(n) {
            if let ks = xKeysym("F\(n)") { return ks }
        }
        let scalars = Array(trimmed.unicodeScalars)
        if scalars.count == 1, let ks = keysym(for: scalars[0]) { return ks }
        if lower.hasPrefix("u+"), let value = UInt32(lower.dropFirst(2), radix: 16), let s = Unicode.Scalar(value),
           let ks = keysym(for: s) {
            return ks
        }
        throw DesktopError.unknownKey(name: name)
    }

    /// The keysym that types `scalar`: Latin-1 keysyms equal their code points, everything else
    /// uses the Unicode keysym range (0x01000000 + code point), which toolkits map back to the
    /// character. Control characters have none (newline and tab are handled by the caller).
    public static func keysym(for scalar: Unicode.Scalar) -> KeySymbol? {
        let v = scalar.value
        switch v {
        case 0x20...0x7e, 0xa0...0xff: return KeySymbol(v)
        case 0...0x1f, 0x7f...0x9f: return nil
        default: return 0x0100_0000 + KeySymbol(v)
        }
    }

    /// X's name for a keysym ("Control_L", "U1F600"), for messages and round trips.
    public static func name(of keysym: KeySymbol) -> String {
        guard let p = XKeysymToString(keysym) else { return "0x" + String(keysym, radix: 16) }
        return String(cString: p)
    }

    private static func xKeysym(_ name: String) -> KeySymbol? {
        let ks = XStringToKeysym(name)
        return ks == 0 ? nil : ks
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
