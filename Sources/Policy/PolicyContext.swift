// The screen context of a request, as written in policy test cases and `policy check --context`:
//
//   screen = [1280, 800]                 required somewhere (defaults or case)
//   pointer = [x, y]                     where the pointer is (clicks without a coordinate, drag start)
//   window = { executable = "/usr/bin/zenity", class = "Zenity", instance = "zenity", title = "…",
//              geometry = [x, y, w, h], pid = 42, id = 1 }      the window under the point, or "none"
//   focused = { … } | "window" | "none"  the focused window; when never given it is the same as `window`
//   budget = { steps, elapsed_seconds, actions_last_minute, typed_chars, consecutive_denials }
//   irreversible = true | false          whether the sandbox could undo the action; absent: unknown
//   compensation = true | false          the request is a rollback's compensation; absent: false
//   rehearsal_diverged = true | false    the rehearsal did not start from the live state (use with
//                                        effects = "none": its effects are withheld); absent: not rehearsed
//   effects = { files_written = […], files_created, files_deleted, spawned, network,
//               new_windows = [{ class = "…", executable = "…" }] }   absent or "none": not rehearsed
//     network = ["connect inet 192.0.2.1:80 by /usr/bin/bash", …]   the attempts seen (absent: watched, none)
//     network = "not observable"                                    the rehearsal could not watch
//
// Later tables override earlier ones key by key (a case's `window` replaces the default `window`).

import Actions
import Foundation
import StrictTOML

public struct PolicyContext: Equatable, Sendable {
    public var screenWidth: Int?
    public var screenHeight: Int?
    public var pointer: Point?
    public var window: WindowFacts?
    public enum Focus: Equatable, Sendable {
        case sameAsWindow
        case window(WindowFacts?)
    }
    public var focused: Focus = .sameAsWindow
    public var budget = BudgetCounters()
    public var effects: RehearsalEffects?
    /// `irreversible = true | false`; absent: unknown.
    public var irreversible: Bool?
    /// `compensation = true`: the request is a rollback's compensation; absent: false.
    public var compensation = false
    /// `rehearsal_diverged = true | false`; absent: unknown (not rehearsed).
    public var rehearsalDiverged: Bool?

    public init() {}

    /// `effects.network`'s value for a rehearsal that could not observe network attempts.
    static let networkNotObservable = "not observable"

    static let keys = ["screen", "pointer", "window", "focused", "budget", "effects", "irreversible", "compensation", "rehearsal_diverged"]

    /// Reads the context keys present in `t` over `self`.
    mutating func read(from t: inout TOMLReader) throws {
        if let s = try t.numbers("screen", count: 2) {
            guard s[0] >= 1, s[1] >= 1, s[0] <= 65535, s[1] <= 65535, s[0] == s[0].rounded(), s[1] == s[1].rounded() else {
                throw PolicyError.invalidValue(path: t.child("screen"), reason: "must be two positive integers")
            }
            screenWidth = Int(s[0]); screenHeight = Int(s[1])
        }
        if let p = try t.numbers("pointer", count: 2) { pointer = Point(x: p[0], y: p[1]) }
        if t.has("window") { window = try PolicyContext.window("window", in: &t) }
        if t.has("focused") {
            if t.stringIfString("focused") == "window" { focused = .sameAsWindow } else { focused = .window(try PolicyContext.window("focused", in: &t)) }
        }
        if var b = try t.table("budget") {
            budget.steps = try b.int("steps") ?? budget.steps
            budget.elapsedSeconds = try b.number("elapsed_seconds") ?? budget.elapsedSeconds
            budget.actionsInLastMinute = try b.int("actions_last_minute") ?? budget.actionsInLastMinute
            budget.typedCharacters = try b.int("typed_chars") ?? budget.typedCharacters
            budget.consecutiveDenials = try b.int("consecutive_denials") ?? budget.consecutiveDenials
            try b.finish()
        }
        if let v = try t.bool("irreversible") { irreversible = v }
        if let v = try t.bool("compensation") { compensation = v }
        if let v = try t.bool("rehearsal_diverged") { rehearsalDiverged = v }
        if let s = t.stringIfString("effects") {
            // "none": not rehearsed (as for a compensation), over defaults that have effects.
            guard s == "none" else { throw PolicyError.invalidValue(path: t.child("effects"), reason: "a table or \"none\"") }
            effects = nil
        } else if var e = try t.table("effects") {
            var fx = RehearsalEffects()
            fx.filesWritten = try e.strings("files_written") ?? []
            fx.filesCreated = try e.strings("files_created") ?? []
            fx.filesDeleted = try e.strings("files_deleted") ?? []
            fx.spawnedExecutables = try e.strings("spawned") ?? []
            if e.stringIfString("network") == PolicyContext.networkNotObservable {
                fx.networkNotObservable = "the test case says so"
            } else {
                fx.networkAttempts = try e.strings("network") ?? []
            }
            for var w in try e.tables("new_windows") {
                fx.newWindows.append(.init(windowClass: try w.string("class") ?? "", executable: try w.string("executable")))
                try w.finish()
            }
            try e.finish()
            effects = fx
        }
    }

    /// The window facts at `key` of `parent` (present): a table, or "none" for no window.
    static func window(_ key: String, in parent: inout TOMLReader) throws -> WindowFacts? {
        if parent.stringIfString(key) == "none" { return nil }
        guard var t = try parent.table(key, expected: "a table or \"none\"") else { return nil }
        var w = WindowFacts()
        w.id = UInt64(try t.int("id") ?? 0)
        w.windowClass = try t.string("class") ?? ""
        w.instance = try t.string("instance") ?? ""
        w.title = try t.string("title") ?? ""
        w.executable = try t.string("executable")
        w.pid = try t.int("pid").map { Int32(clamping: $0) }
        if let g = try t.numbers("geometry", count: 4) {
            w.x = Int(g[0]); w.y = Int(g[1]); w.width = Int(max(0, g[2])); w.height = Int(max(0, g[3]))
        }
        try t.finish()
        return w
    }

    /// Parses a context file (top-level keys as above).
    public init(toml text: String) throws {
        self = try PolicyError.mappingSchemaErrors {
            var context = PolicyContext()
            var t = try TOMLReader(parsing: text)
            try context.read(from: &t)
            try t.finish()
            return context
        }
    }

    /// The request for `action` in this context.
    public func request(for action: Action, path: String = "screen") throws -> PolicyRequest {
        guard let w = screenWidth, let h = screenHeight else { throw PolicyError.missingKey(path: path) }
        let focusedWindow: WindowFacts?
        switch focused {
        case .sameAsWindow: focusedWindow = window
        case .window(let f): focusedWindow = f
        }
        var request = PolicyRequest(action: action, screenWidth: w, screenHeight: h, pointer: pointer, windowUnderPoint: window,
                                    focusedWindow: focusedWindow, budget: budget, effects: effects)
        request.irreversible = irreversible
        request.compensation = compensation
        request.rehearsalDiverged = rehearsalDiverged
        return request
    }
}
