import CX11
import Foundation

/// The server's core keyboard mapping: for each keycode, its keysyms by shift level.
struct KeyboardMap {
    let minKeycode: Int
    let maxKeycode: Int
    let perKeycode: Int
    var symbols: [KeyNames.KeySymbol]

    func keysyms(of keycode: Int) -> ArraySlice<KeyNames.KeySymbol> {
        let start = (keycode - minKeycode) * perKeycode
        return symbols[start..<(start + perKeycode)]
    }

    /// The keycode and level (0 plain, 1 shifted) that produce `keysym` in group 1, if any.
    func find(_ keysym: KeyNames.KeySymbol) -> (keycode: Int, level: Int)? {
        for level in 0..<min(2, perKeycode) {
            for keycode in minKeycode...maxKeycode where symbols[(keycode - minKeycode) * perKeycode + level] == keysym {
                return (keycode, level)
            }
        }
        return nil
    }

    /// A keycode whose plain level is Shift_L (or else Shift_R): what shifted strokes hold down.
    /// Nil when the keymap has neither; keysyms reached only through Shift are then bound to
    /// spare keycodes instead of being sent unshifted.
    var shiftKeycode: Int? {
        for name in [XK_Shift_L, XK_Shift_R] {
            if let found = find(KeyNames.KeySymbol(name)), found.level == 0 { return found.keycode }
        }
        return nil
    }

    /// Keycodes with no keysym at all: safe to bind temporarily. Highest first, away from the
    /// keys a real keyboard has.
    var spareKeycodes: [Int] {
        (minKeycode...maxKeycode).reversed().filter { code in keysyms(of: code).allSatisfy { $0 == 0 } }
    }
}

/// Keyboard input through XTest, including keysyms the keymap lacks.
///
/// A keysym missing from the keymap (é, 日, 😀 on a US map) is bound to a spare keycode with
/// XChangeKeyboardMapping, typed, and unbound. Clients translate a key event with the mapping they
/// fetch after the MappingNotify that precedes it, so the binding must outlive the key events by
/// long enough for them to fetch it: `keymapSettleDelay` before the mapping changes back. Keys are
/// bound in batches (as many as there are spare keycodes) to pay that delay once per batch.
extension X11Display {
    func currentKeyboardMap() throws -> KeyboardMap {
        try checked("XGetKeyboardMapping") {
            var minCode: Int32 = 0, maxCode: Int32 = 0, per: Int32 = 0
            XDisplayKeycodes(display, &minCode, &maxCode)
            let count = Int(maxCode - minCode + 1)
            guard count > 0, let raw = XGetKeyboardMapping(display, KeyCode(minCode), Int32(count), &per) else {
                throw DesktopError.xError(display: name, operation: "XGetKeyboardMapping", code: 0, requestCode: 101,
                                          minorCode: 0, resourceID: 0, text: "no mapping returned")
            }
            defer { XFree(raw) }
            let symbols = Array(UnsafeBufferPointer(start: raw, count: count * Int(per)))
            return KeyboardMap(minKeycode: Int(minCode), maxKeycode: Int(maxCode), perKeycode: Int(per), symbols: symbols)
        }
    }

    /// Binds each keysym to its keycode (both shift levels), or unbinds with 0.
    private func bind(_ bindings: [(keycode: Int, keysym: KeyNames.KeySymbol)]) throws {
        try checked("XChangeKeyboardMapping") {
            for b in bindings {
                var syms: [KeySym] = [b.keysym, b.keysym]
                XChangeKeyboardMapping(display, Int32(b.keycode), 2, &syms, 1)
            }
        }
    }

    private func sendKey(_ keycode: Int, down: Bool) {
        XTestFakeKeyEvent(display, UInt32(keycode), down ? 1 : 0, 0)
    }

    /// Plans keycodes for `keysyms`: existing keys where the keymap has them, spare keycodes bound
    /// for the rest. Returns the strokes and the bindings to make first.
    private func resolve(_ keysyms: [KeyNames.KeySymbol], in map: KeyboardMap, spare: [Int])
        -> (strokes: [(keycode: Int, shifted: Bool)], bindings: [(keycode: Int, keysym: KeyNames.KeySymbol)], consumed: Int)
    {
        var strokes: [(keycode: Int, shifted: Bool)] = []
        var bindings: [(keycode: Int, keysym: KeyNames.KeySymbol)] = []
        var bound: [KeyNames.KeySymbol: Int] = [:]
        var consumed = 0
        let canShift = map.shiftKeycode != nil
        for ks in keysyms {
            if let found = map.find(ks), found.level == 0 || canShift {
                strokes.append((found.keycode, found.level == 1))
            } else if let code = bound[ks] {
                strokes.append((code, false))
            } else if bindings.count < spare.count {
                let code = spare[bindings.count]
                bindings.append((code, ks))
                bound[ks] = code
                strokes.append((code, false))
            } else {
                break
            }
            consumed += 1
        }
        return (strokes, bindings, consumed)
    }

    public func pressChord(_ keys: [String]) throws {
        try requireXTest("key chord")
        guard !keys.isEmpty, keys.count <= 8 else {
            throw DesktopError.invalidArgument(operation: "key chord", reason: "\(keys.count) keys (1...8 allowed)")
        }
        let keysyms = try keys.map { try KeyNames.keysym(named: $0) }
        let map = try currentKeyboardMap()
        let plan = resolve(keysyms, in: map, spare: map.spareKeycodes)
        guard plan.consumed == keysyms.count else {
            let ks = keysyms[plan.consumed]
            throw DesktopError.noKeycode(keysym: ks, name: KeyNames.name(of: ks))
        }
        let shiftCode = map.shiftKeycode
        let chordHasShift = keysyms.contains { $0 == KeyNames.KeySymbol(XK_Shift_L) || $0 == KeyNames.KeySymbol(XK_Shift_R) }
        // A key reached only through Shift (e.g. "T", "plus") gets Shift pressed just before it.
        // `resolve` plans shifted strokes only when the keymap has a Shift key.
        var sequence: [Int] = []
        for s in plan.strokes {
            if s.shifted && !chordHasShift, let shiftCode, !sequence.contains(shiftCode) { sequence.append(shiftCode) }
            sequence.append(s.keycode)
        }
        try withBindings(plan.bindings) {
            try checked("key chord \(keys.joined(separator: "+"))") {
                for code in sequence { sendKey(code, down: true) }
                for code in sequence.reversed() { sendKey(code, down: false) }
            }
        }
    }

    /// Runs `body` with `bindings` made, then unbinds them after the settle delay. A failed unbind
    /// is an error even when `body` succeeded: the keymap would keep a keysym the user never had.
    /// When `body` fails, its error is the one reported (the unbind is still attempted).
    private func withBindings(_ bindings: [(keycode: Int, keysym: KeyNames.KeySymbol)], _ body: () throws -> Void) throws {
        guard !bindings.isEmpty else { return try body() }
        try bind(bindings)
        do {
            try body()
        } catch {
            try? bind(bindings.map { ($0.keycode, 0) })
            throw error
        }
        usleep(UInt32(keymapSettleDelay * 1_000_000))
        try bind(bindings.map { ($0.keycode, 0) })
    }

    public func type(_ text: String) throws {
        try requireXTest("type")
        // One keysym per stroke: "\n" (and "\r\n", "\r") is Return — libxdo sends Linefeed, which
        // GTK ignores — and "\t" is Tab.
        var keysyms: [KeyNames.KeySymbol] = []
        let scalars = Array(text.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            switch s {
            case "\n":
                if i > 0 && scalars[i - 1] == "\r" { continue }
                keysyms.append(KeyNames.KeySymbol(XK_Return))
            case "\r": keysyms.append(KeyNames.KeySymbol(XK_Return))
            case "\t": keysyms.append(KeyNames.KeySymbol(XK_Tab))
            default:
                guard let ks = KeyNames.keysym(for: s) else {
                    throw DesktopError.untypableCharacter(scalar: s.value, position: i)
                }
                keysyms.append(ks)
            }
        }
        guard !keysyms.isEmpty else { return }
        let map = try currentKeyboardMap()
        let spare = map.spareKeycodes
        let shiftCode = map.shiftKeycode
        var rest = keysyms[...]
        while !rest.isEmpty {
            let plan = resolve(Array(rest), in: map, spare: spare)
            guard plan.consumed > 0 else {
                let ks = rest[rest.startIndex]
                throw DesktopError.noKeycode(keysym: ks, name: KeyNames.name(of: ks))
            }
            try withBindings(plan.bindings) {
                try checked("type \(plan.consumed) characters") {
                    for s in plan.strokes {
                        if s.shifted, let shiftCode { sendKey(shiftCode, down: true) }
                        sendKey(s.keycode, down: true)
                        sendKey(s.keycode, down: false)
                        if s.shifted, let shiftCode { sendKey(shiftCode, down: false) }
                    }
                }
            }
            rest = rest.dropFirst(plan.consumed)
        }
    }
}
