// The Qwen3-VL Instruct chat template, written out in Swift instead of interpreted from Jinja.
// Source: chat_template.json of the Qwen3-VL-*-Instruct checkpoints (the same text is in
// scripts/make-tokenizer-fixtures.py, which renders the fixtures with transformers' apply_chat_template);
// docs: shared/docs/qwen3vl-reference.md §5.2. Each block below quotes the Jinja it renders.
//
// Jinja behaviours that matter here: `message.content` may be a string or a list of parts; a part is an
// image if it has type "image" (or an "image"/"image_url" key), a video likewise, else text; `tojson` is
// `json.dumps(x, ensure_ascii=False)` (transformers/utils/chat_template_utils.py); a system message is
// rendered only when it is the first message; consecutive tool messages share one user turn.

import StrictJSON

/// Who wrote a message.
public enum ChatRole: String, Sendable, Equatable {
    case system, user, assistant, tool
}

/// One item of a message's content list.
public enum ChatContentPart: Equatable, Sendable {
    case text(String)
    /// Rendered as `<|vision_start|><|image_pad|><|vision_end|>`; the processor later expands the single
    /// `<|image_pad|>` to the image's token count.
    case image
    case video
}

/// A message's content: a plain string or a list of parts (Jinja `content is string` or not).
public enum ChatContent: Equatable, Sendable {
    case text(String)
    case parts([ChatContentPart])

    /// Jinja truthiness: a non-empty string or a non-empty list.
    var isTruthy: Bool {
        switch self {
        case .text(let s): return !s.isEmpty
        case .parts(let p): return !p.isEmpty
        }
    }
}

/// A function call made by the assistant.
public struct ChatToolCall: Equatable, Sendable {
    public enum Arguments: Equatable, Sendable {
        /// Rendered with `tojson`.
        case json(JSONValue)
        /// Already-serialized arguments, rendered verbatim (Jinja `arguments is string`).
        case raw(String)
    }

    public var name: String
    public var arguments: Arguments

    public init(name: String, arguments: Arguments) {
        self.name = name
        self.arguments = arguments
    }
}

public struct ChatMessage: Equatable, Sendable {
    public var role: ChatRole
    /// nil when the message has no content at all (an assistant turn with only tool calls).
    public var content: ChatContent?
    public var toolCalls: [ChatToolCall]

    public init(role: ChatRole, content: ChatContent?, toolCalls: [ChatToolCall] = []) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: .text(text)) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: .text(text)) }
    public static func user(_ parts: [ChatContentPart]) -> ChatMessage { ChatMessage(role: .user, content: .parts(parts)) }
    public static func assistant(_ text: String, toolCalls: [ChatToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: .text(text), toolCalls: toolCalls)
    }
    public static func tool(_ text: String) -> ChatMessage { ChatMessage(role: .tool, content: .text(text)) }
    public static func tool(_ parts: [ChatContentPart]) -> ChatMessage { ChatMessage(role: .tool, content: .parts(parts)) }
}

/// Renders conversations exactly as Qwen3-VL Instruct's chat template does.
public struct Qwen3VLChatTemplate: Sendable {
    /// `add_vision_id`: prefix each image with `Picture N: ` and each video with `Video N: `, counted over
    /// the whole conversation.
    public var addVisionID: Bool

    public init(addVisionID: Bool = false) {
        self.addVisionID = addVisionID
    }

    static let toolsPreamble = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
    static let toolsPostamble = "\n</tools>\n\nFor each function call, return a json object with function name and "
        + "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"

    /// The prompt text. `tools` are the tool schemas (usually `{"type": "function", "function": {...}}`),
    /// rendered in their member order; an empty list renders no tools block (Jinja `if tools`).
    public func render(_ messages: [ChatMessage], tools: [JSONValue] = [], addGenerationPrompt: Bool) -> String {
        var out = ""
        let firstIsSystem = messages.first?.role == .system
        if !tools.isEmpty {
            // {{- '<|im_start|>system\n' }} [system text + '\n\n'] "# Tools…<tools>" {"\n" + tool|tojson}… "…</tool_call><|im_end|>\n"
            out += "<|im_start|>system\n"
            if firstIsSystem, let content = messages[0].content {
                out += Self.textOnly(content)
                out += "\n\n"
            } else if firstIsSystem {
                out += "\n\n"
            }
            out += Self.toolsPreamble
            for tool in tools {
                out += "\n"
                out += tool.pythonJSON
            }
            out += Self.toolsPostamble
        } else if firstIsSystem {
            // {{- '<|im_start|>system\n' }} {text parts} {{- '<|im_end|>\n' }}
            out += "<|im_start|>system\n"
            if let content = messages[0].content { out += Self.textOnly(content) }
            out += "<|im_end|>\n"
        }

        var imageCount = 0
        var videoCount = 0
        func renderVisual(_ content: ChatContent) {
            switch content {
            case .text(let s): out += s
            case .parts(let parts):
                for part in parts {
                    switch part {
                    case .image:
                        imageCount += 1
                        if addVisionID { out += "Picture \(imageCount): " }
                        out += "<|vision_start|><|image_pad|><|vision_end|>"
                    case .video:
                        videoCount += 1
                        if addVisionID { out += "Video \(videoCount): " }
                        out += "<|vision_start|><|video_pad|><|vision_end|>"
                    case .text(let s):
                        out += s
                    }
                }
            }
        }

        for (index, message) in messages.enumerated() {
            switch message.role {
            case .system:
                // The loop has no branch for system messages: the first one is rendered above, later ones never.
                continue
            case .user:
                out += "<|im_start|>user\n"
                if let content = message.content { renderVisual(content) }
                out += "<|im_end|>\n"
            case .assistant:
                out += "<|im_start|>assistant\n"
                if let content = message.content { out += Self.textOnly(content) }
                let hasContent = message.content?.isTruthy ?? false
                for (i, call) in message.toolCalls.enumerated() {
                    // {%- if (loop.first and message.content) or (not loop.first) %}{{- '\n' }}
                    if (i == 0 && hasContent) || i > 0 { out += "\n" }
                    out += "<tool_call>\n{\"name\": \"" + call.name + "\", \"arguments\": "
                    switch call.arguments {
                    case .raw(let s): out += s
                    case .json(let v): out += v.pythonJSON
                    }
                    out += "}\n</tool_call>"
                }
                out += "<|im_end|>\n"
            case .tool:
                // {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}
                if index == 0 || messages[index - 1].role != .tool { out += "<|im_start|>user" }
                out += "\n<tool_response>\n"
                if let content = message.content { renderVisual(content) }
                out += "\n</tool_response>"
                if index == messages.count - 1 || messages[index + 1].role != .tool { out += "<|im_end|>\n" }
            }
        }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// System and assistant content: the string, or the text parts concatenated (images are dropped).
    static func textOnly(_ content: ChatContent) -> String {
        switch content {
        case .text(let s): return s
        case .parts(let parts):
            var s = ""
            for case .text(let t) in parts { s += t }
            return s
        }
    }
}
