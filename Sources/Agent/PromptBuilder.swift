// The prompt: a system turn that offers the computer_use tool, and a user turn with the screenshot,
// the task, the earlier steps and, when the last reply was refused, why.
//
// The tool schema (function name, action enum, parameter names and types, `required`) is exactly the
// one Qwen3-VL was trained on (QwenLM/Qwen3-VL `cookbooks/utils/agent_function_call.py`, class
// ComputerUse; docs/qwen3vl-reference.md §6.3). The descriptions are our own words. The framing text
// around `<tools>` is the chat template's fixed wording (§5.2), reproduced verbatim so that a raw-text
// prompt (OpenAI-compatible servers, the native engine) reads exactly like one rendered with `tools=`.

import Actions
import StrictJSON

/// A chat message in the order the chat template renders it.
public struct ChatMessage: Equatable, Sendable {
    public enum Part: Equatable, Sendable {
        case text(String)
        case image(ModelImage)
    }

    public var role: String
    public var parts: [Part]

    public init(role: String, parts: [Part]) {
        self.role = role
        self.parts = parts
    }

    /// The text parts joined, images shown as a placeholder (for audit records and replay checks).
    public var transcript: String {
        parts.map { part in
            switch part {
            case .text(let t): return t
            case .image(let i): return "<image \(i.width)x\(i.height)>"
            }
        }.joined()
    }
}

public struct PromptBuilder: Sendable {
    public init() {}

    /// The system turn's own text, before the tools block.
    public static let instructions = """
        You operate a Linux desktop on the user's behalf, one action per turn, through the computer_use \
        function. Each turn brings the task, a record of the steps taken so far, and a fresh screenshot of \
        the whole screen. Decide the single next action from what the screenshot shows and call the \
        function exactly once. When the task is complete, call it with action "terminate" and status \
        "success"; when it cannot be completed, use status "failure". If the task asks a question, reply \
        with action "answer". An action can be refused by the operator's policy; a refused action was \
        not performed, so choose another way or stop.
        """

    public static let toolDescription = """
        Control a desktop computer with the mouse and keyboard.
        * Coordinates are on a 1000x1000 grid that covers the whole screenshot, whatever its real size: \
        x runs from 0 at the left edge to 1000 at the right edge, y from 0 at the top to 1000 at the bottom.
        * Look at the screenshot before choosing a coordinate, and aim at the middle of the element you mean.
        * Applications can take a moment to react. If what you expect has not appeared yet, wait and look again.
        * One action per call; the next screenshot shows its result.
        """

    static let actionDescription = """
        The action to perform:
        * `key`: press the keys in `keys` in order and release them in reverse order (a shortcut such as ctrl+s).
        * `type`: type the string in `text` on the keyboard.
        * `mouse_move`: move the pointer to `coordinate`.
        * `left_click`: click the left button at `coordinate`.
        * `left_click_drag`: press the left button where the pointer is and release it at `coordinate`.
        * `right_click`: click the right button at `coordinate`.
        * `middle_click`: click the middle button at `coordinate`.
        * `double_click`: double-click the left button at `coordinate`.
        * `triple_click`: triple-click the left button at `coordinate` (selects a line of text).
        * `scroll`: scroll vertically by `pixels` (positive up, negative down), at `coordinate` if given.
        * `hscroll`: scroll horizontally by `pixels` (positive left, negative right), at `coordinate` if given.
        * `wait`: do nothing for `time` seconds and then look again.
        * `terminate`: end the task, reporting `status`.
        * `answer`: give the answer in `text` to the user.
        """

    /// The computer_use tool as the chat template's `tools` entry. Property order follows the original.
    public static var tool: JSONValue {
        func prop(_ description: String, _ type: String, enumeration: [String]? = nil) -> JSONValue {
            var members: [(key: String, value: JSONValue)] = [("description", .string(description))]
            if let enumeration { members.append(("enum", .array(enumeration.map { .string($0) }))) }
            members.append(("type", .string(type)))
            return .object(members)
        }
        let properties: JSONValue = .object([
            ("action", prop(actionDescription, "string", enumeration: ActionKind.allCases.map(\.rawValue))),
            ("keys", prop("Keys to press, for `action=key` only.", "array")),
            ("text", prop("The text to type or the answer, for `action=type` and `action=answer` only.", "string")),
            ("coordinate", prop("(x, y) on the 1000x1000 grid: x from the left edge, y from the top edge.", "array")),
            ("pixels", prop("How far to scroll; positive is up (scroll) or left (hscroll), negative is down or right. For `action=scroll` and `action=hscroll` only.", "number")),
            ("time", prop("Seconds to wait, for `action=wait` only.", "number")),
            ("status", .object([
                ("description", .string("Whether the task succeeded, for `action=terminate` only.")),
                ("type", .string("string")),
                ("enum", .array([.string("success"), .string("failure")])),
            ])),
        ])
        return .object([
            ("type", .string("function")),
            ("function", .object([
                ("name", .string("computer_use")),
                ("description", .string(toolDescription)),
                ("parameters", .object([
                    ("properties", properties),
                    ("required", .array([.string("action")])),
                    ("type", .string("object")),
                ])),
            ])),
        ])
    }

    /// The whole system turn: our instructions, then the chat template's tools block (§5.2).
    public var systemText: String {
        PromptBuilder.instructions
            + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + PromptBuilder.pythonJSON(PromptBuilder.tool)
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments "
            + "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
            + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"
    }

    /// The user turn's text: task, earlier steps, and the reason the last reply was refused.
    public func userText(for request: PlanRequest) -> String {
        var lines = ["The task: \(request.task)"]
        if request.history.isEmpty {
            lines.append("No steps have been taken yet.")
        } else {
            lines.append("Steps taken so far:")
            lines += request.history.map(\.text)
        }
        if let feedback = request.feedback { lines.append(feedback) }
        lines.append("The screenshot shows the screen now. What is the next action?")
        return lines.joined(separator: "\n")
    }

    /// The messages for one turn: system, then the user turn with the screenshot before the text
    /// (the order the cookbook uses).
    public func messages(for request: PlanRequest) -> [ChatMessage] {
        [
            ChatMessage(role: "system", parts: [.text(systemText)]),
            ChatMessage(role: "user", parts: [.image(request.screenshot), .text(userText(for: request))]),
        ]
    }

    /// JSON as Python's `json.dumps` writes it by default (", " and ": " separators, non-ASCII kept),
    /// which is how the chat template's `tojson` renders the tool: StrictJSON's `pythonJSON`, the writer
    /// Tokenization's chat template uses.
    public static func pythonJSON(_ value: JSONValue) -> String { value.pythonJSON }
}
