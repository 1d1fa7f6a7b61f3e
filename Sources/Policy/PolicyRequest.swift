// What the policy is asked about: one proposed action, already mapped to screen pixels, and the facts
// the agent gathered around it. Facts the agent could not establish stay nil; a condition that needs a
// missing fact fails to evaluate, and failure is fail-safe (forbid/ask match, permit does not).

import Actions

/// A window as the X server describes it. `executable` comes from the server's client attribution
/// (X-Resource client id → pid → /proc/pid/exe), never from `_NET_WM_PID`, which the application sets.
public struct WindowFacts: Equatable, Sendable {
    public var id: UInt64
    public var windowClass: String
    public var instance: String
    public var title: String
    public var executable: String?
    public var pid: Int32?
    /// Geometry in screen pixels (the client area, without decorations).
    public var x, y, width, height: Int

    public init(id: UInt64 = 0, windowClass: String = "", instance: String = "", title: String = "",
                executable: String? = nil, pid: Int32? = nil, x: Int = 0, y: Int = 0, width: Int = 0, height: Int = 0) {
        self.id = id
        self.windowClass = windowClass
        self.instance = instance
        self.title = title
        self.executable = executable
        self.pid = pid
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    public var frame: Rect { Rect(x: Double(x), y: Double(y), width: Double(width), height: Double(height)) }
}

/// Counters the agent keeps for budgets. Values describe the session before this action.
public struct BudgetCounters: Equatable, Sendable {
    public var steps: Int
    public var elapsedSeconds: Double
    public var actionsInLastMinute: Int
    public var typedCharacters: Int
    public var consecutiveDenials: Int

    public init(steps: Int = 0, elapsedSeconds: Double = 0, actionsInLastMinute: Int = 0, typedCharacters: Int = 0,
                consecutiveDenials: Int = 0) {
        self.steps = steps
        self.elapsedSeconds = elapsedSeconds
        self.actionsInLastMinute = actionsInLastMinute
        self.typedCharacters = typedCharacters
        self.consecutiveDenials = consecutiveDenials
    }
}

/// What a rehearsal of the action on the sandbox display did.
public struct RehearsalEffects: Equatable, Sendable {
    public struct NewWindow: Equatable, Sendable {
        public var windowClass: String
        public var executable: String?
        public init(windowClass: String, executable: String?) { self.windowClass = windowClass; self.executable = executable }
    }
    public var filesWritten: [String]
    public var filesCreated: [String]
    public var filesDeleted: [String]
    public var newWindows: [NewWindow]
    public var spawnedExecutables: [String]
    /// The network attempts seen ("connect inet 192.0.2.1:80 by /usr/bin/bash"); meaningful only
    /// when `networkNotObservable` is nil.
    public var networkAttempts: [String]
    /// Why the rehearsal could not observe network attempts; nil when it did. Unknown is not "none":
    /// a rule on `effects.network` cannot evaluate while this is set.
    public var networkNotObservable: String?

    public init(filesWritten: [String] = [], filesCreated: [String] = [], filesDeleted: [String] = [],
                newWindows: [NewWindow] = [], spawnedExecutables: [String] = [], networkAttempts: [String] = [],
                networkNotObservable: String? = nil) {
        self.filesWritten = filesWritten
        self.filesCreated = filesCreated
        self.filesDeleted = filesDeleted
        self.newWindows = newWindows
        self.spawnedExecutables = spawnedExecutables
        self.networkAttempts = networkAttempts
        self.networkNotObservable = networkNotObservable
    }

    var allFiles: [String] { filesWritten + filesCreated + filesDeleted }
}

public struct PolicyRequest: Equatable, Sendable {
    /// The action with coordinates in screen pixels.
    public var action: Action
    public var screenWidth: Int
    public var screenHeight: Int
    /// Where the pointer is now: the point of clicks without a coordinate and the start of a drag.
    public var pointer: Point?
    /// The window under the action's point (or under the pointer for actions that use it).
    public var windowUnderPoint: WindowFacts?
    public var focusedWindow: WindowFacts?
    public var budget: BudgetCounters
    /// nil when the action was not rehearsed.
    public var effects: RehearsalEffects?
    /// True for the decision made before a rehearsal that will follow: `effects` is nil because they
    /// are not known yet, and the caller promises to ask again with them before the action runs.
    /// Effect conditions then do not hold (instead of failing safe); the second decision settles them.
    public var effectsPending = false
    /// Whether the action could be undone in the sandbox (compensation or checkpoint); nil: unknown.
    public var irreversible: Bool?
    /// True when the rollback asks to send this input to undo a live step that diverged from its
    /// rehearsal (BackSpaces, the undo chord, a scroll back); false for the model's proposals.
    /// Compensations are not rehearsed, so `effects` is nil for them.
    public var compensation = false
    /// Whether the rehearsal started from a state other than the live one (screen drift beyond the
    /// threshold, or different files): then `effects` is nil, withheld. nil when not rehearsed.
    public var rehearsalDiverged: Bool?

    public init(action: Action, screenWidth: Int, screenHeight: Int, pointer: Point? = nil,
                windowUnderPoint: WindowFacts? = nil, focusedWindow: WindowFacts? = nil,
                budget: BudgetCounters = BudgetCounters(), effects: RehearsalEffects? = nil) {
        self.action = action
        self.screenWidth = screenWidth
        self.screenHeight = screenHeight
        self.pointer = pointer
        self.windowUnderPoint = windowUnderPoint
        self.focusedWindow = focusedWindow
        self.budget = budget
        self.effects = effects
    }

    /// Keyboard actions go to the focused window; pointer actions to the window under the point.
    public var isKeyboardAction: Bool { action.kind == .key || action.kind == .type }

    /// The window that receives the input (see `Rule.target`).
    public var targetWindow: WindowFacts? { isKeyboardAction ? focusedWindow : windowUnderPoint }

    /// Every screen point the action touches; nil when it needs the pointer and the pointer is unknown.
    public var touchedPoints: [Point]? {
        switch action {
        case .leftClickDrag(let to):
            guard let pointer else { return nil }
            return [pointer, to]
        case .leftClick(nil), .rightClick(nil), .middleClick(nil), .doubleClick(nil), .tripleClick(nil),
             .scroll(_, nil), .hscroll(_, nil):
            return pointer.map { [$0] }
        default:
            return action.point.map { [$0] } ?? []
        }
    }

    /// The text a `type` (typed into the display) or `answer` (shown to the operator) carries.
    public var text: String? {
        switch action {
        case .type(let t), .answer(let t): return t
        default: return nil
        }
    }
}
