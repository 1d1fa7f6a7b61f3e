// Rollback planning as data: for each kind of action, what undoes it. The agent maps its Actions.Action
// onto `StepAction` (Sandbox does not import Actions) and the plan onto input events and checkpoint
// restores; a plan that is `.irreversible` marks the action for the policy, which can ask first.
//
// What each compensation can and cannot undo:
//   pressKeys / scrollBack  undo the action's direct effect in the focused widget (typed text, scroll)
//   undoChord               the application's own undo: in-app state, not files already written
//   restoreCheckpoint       the home's files, from the checkpoint taken before the step (then the app
//                           is restarted when the definition says so): files, not in-app state

import Foundation

/// The action kinds of the computer_use schema, by the same names as Actions.ActionKind, with the
/// arguments that matter for undoing them.
public enum StepAction: Equatable, Sendable {
    case key(chord: String)
    case type(text: String)
    case mouseMove, leftClick, rightClick, middleClick, doubleClick, tripleClick, leftClickDrag
    case scroll(pixels: Double)
    case hscroll(pixels: Double)
    case wait, terminate, answer

    /// The computer_use name (`left_click`, `type`, …).
    public var name: String {
        switch self {
        case .key: return "key"
        case .type: return "type"
        case .mouseMove: return "mouse_move"
        case .leftClick: return "left_click"
        case .rightClick: return "right_click"
        case .middleClick: return "middle_click"
        case .doubleClick: return "double_click"
        case .tripleClick: return "triple_click"
        case .leftClickDrag: return "left_click_drag"
        case .scroll: return "scroll"
        case .hscroll: return "hscroll"
        case .wait: return "wait"
        case .terminate: return "terminate"
        case .answer: return "answer"
        }
    }
}

public enum Compensation: Equatable, Sendable, Codable {
    /// The action changes no application state (pointer motion, waiting, answering).
    case nothingToUndo
    /// Keysyms to press one after another (n × BackSpace for n typed characters).
    case pressKeys([String])
    /// Scroll by this many pixels (the opposite of the action's).
    case scrollBack(pixels: Double, horizontal: Bool)
    /// The application's undo chord from the sandbox definition, pressed once.
    case undoChord(String)
    /// Restore the home from the checkpoint taken before the step.
    case restoreCheckpoint
    /// Nothing known undoes it.
    case irreversible(reason: String)

    public var isReversible: Bool {
        if case .irreversible = self { return false }
        return true
    }

    /// The plan for one action under one sandbox definition. Pure: no I/O.
    public static func plan(for action: StepAction, undoChord: String?,
                            checkpoint: SandboxDefinition.CheckpointStrategy) -> Compensation {
        let fallback: Compensation = {
            if let undoChord { return .undoChord(undoChord) }
            if checkpoint != .none { return .restoreCheckpoint }
            return .irreversible(reason: "no undo chord and no checkpoint strategy in the sandbox definition")
        }()
        switch action {
        case .mouseMove, .wait, .terminate, .answer:
            return .nothingToUndo
        case .type(let text):
            if text.isEmpty { return .nothingToUndo }
            // A newline or tab may submit a form or move focus: BackSpace would then erase the wrong
            // thing. Only plain text is undone key by key.
            if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return fallback }
            return .pressKeys(Array(repeating: "BackSpace", count: text.count))
        case .scroll(let pixels):
            return .scrollBack(pixels: -pixels, horizontal: false)
        case .hscroll(let pixels):
            return .scrollBack(pixels: -pixels, horizontal: true)
        case .key(let chord):
            // Pressing undo again would redo in some applications and undo further in others.
            if let undoChord, Self.sameChordText(chord, undoChord) {
                return checkpoint != .none ? .restoreCheckpoint : .irreversible(reason: "the action is the undo chord itself")
            }
            return fallback
        case .leftClick, .rightClick, .middleClick, .doubleClick, .tripleClick, .leftClickDrag:
            return fallback
        }
    }

    /// A textual comparison only (case and spaces); the agent compares normalized KeyChords.
    static func sameChordText(_ a: String, _ b: String) -> Bool {
        func norm(_ s: String) -> String { s.lowercased().filter { !$0.isWhitespace } }
        return norm(a) == norm(b)
    }
}
