// The computer_use action vocabulary as typed values.
//
// Schema source: QwenLM/Qwen3-VL `cookbooks/utils/agent_function_call.py` (class ComputerUse), summarized
// in docs/qwen3vl-reference.md §6.3. Names and parameter names must stay exactly as the model was
// trained on them; everything between the model and XTest passes through these values, never strings.

/// A point in some coordinate space: the model's 0–1000 grid or screen pixels, depending on the stage.
public struct Point: Hashable, Sendable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    public var description: String { "[\(Point.format(x)), \(Point.format(y))]" }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

/// The `action` enum of the computer_use tool, with the schema's spelling as raw value.
public enum ActionKind: String, CaseIterable, Hashable, Sendable {
    case key, type
    case mouseMove = "mouse_move"
    case leftClick = "left_click"
    case leftClickDrag = "left_click_drag"
    case rightClick = "right_click"
    case middleClick = "middle_click"
    case doubleClick = "double_click"
    case tripleClick = "triple_click"
    case scroll, hscroll, wait, terminate, answer

    /// Actions that send no input event to the display.
    public var isObservationOnly: Bool { self == .wait || self == .terminate || self == .answer }
}

public enum TerminationStatus: String, Hashable, Sendable {
    case success, failure
}

/// One proposed or executed action. Coordinates are in whatever space the holder says (see `GridMapping`).
public enum Action: Hashable, Sendable {
    /// Keys pressed in order and released in reverse.
    case key(KeyChord)
    case type(String)
    case mouseMove(Point)
    /// Clicks without a coordinate act at the current pointer position.
    case leftClick(Point?)
    /// Drags from the current pointer position to the point.
    case leftClickDrag(to: Point)
    case rightClick(Point?)
    case middleClick(Point?)
    case doubleClick(Point?)
    case tripleClick(Point?)
    /// Positive pixels scroll up, negative down.
    case scroll(pixels: Double, at: Point?)
    /// Positive pixels scroll left, negative right.
    case hscroll(pixels: Double, at: Point?)
    case wait(seconds: Double)
    case terminate(TerminationStatus)
    case answer(String)

    public var kind: ActionKind {
        switch self {
        case .key: return .key
        case .type: return .type
        case .mouseMove: return .mouseMove
        case .leftClick: return .leftClick
        case .leftClickDrag: return .leftClickDrag
        case .rightClick: return .rightClick
        case .middleClick: return .middleClick
        case .doubleClick: return .doubleClick
        case .tripleClick: return .tripleClick
        case .scroll: return .scroll
        case .hscroll: return .hscroll
        case .wait: return .wait
        case .terminate: return .terminate
        case .answer: return .answer
        }
    }

    /// The coordinate the action targets, if it names one.
    public var point: Point? {
        switch self {
        case .mouseMove(let p), .leftClickDrag(to: let p): return p
        case .leftClick(let p), .rightClick(let p), .middleClick(let p), .doubleClick(let p), .tripleClick(let p):
            return p
        case .scroll(_, let p), .hscroll(_, let p): return p
        case .key, .type, .wait, .terminate, .answer: return nil
        }
    }

    /// Text the action types into the display (nil for everything but `type`).
    public var typedText: String? {
        if case .type(let t) = self { return t }
        return nil
    }

    /// The same action with its coordinate transformed (for grid → pixel mapping).
    public func mapPoint(_ transform: (Point) throws -> Point) rethrows -> Action {
        switch self {
        case .mouseMove(let p): return .mouseMove(try transform(p))
        case .leftClickDrag(let p): return .leftClickDrag(to: try transform(p))
        case .leftClick(let p): return .leftClick(try p.map(transform))
        case .rightClick(let p): return .rightClick(try p.map(transform))
        case .middleClick(let p): return .middleClick(try p.map(transform))
        case .doubleClick(let p): return .doubleClick(try p.map(transform))
        case .tripleClick(let p): return .tripleClick(try p.map(transform))
        case .scroll(let px, let p): return .scroll(pixels: px, at: try p.map(transform))
        case .hscroll(let px, let p): return .hscroll(pixels: px, at: try p.map(transform))
        case .key, .type, .wait, .terminate, .answer: return self
        }
    }
}
