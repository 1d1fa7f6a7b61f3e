// Model text → one proposed action.
//
// Qwen3-VL answers a computer_use prompt with an optional thought and then (docs/qwen3vl-reference.md §6.3)
//
//     <tool_call>
//     {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [x, y]}}
//     </tool_call>
//
// The cookbook splits on the exact "<tool_call>\n" and "\n</tool_call>". Real output varies more than
// that (CRLF, no newlines, a ```json fence inside the tags, a Thinking model's <think>…</think>, a reply
// cut off after the JSON but before the closing tag), so this parser accepts those variants and nothing
// looser: the JSON itself is read strictly (`JSONValue`, `Action(toolCall:)`), exactly one call is
// allowed per reply, and a missing closing tag is forgiven only when the JSON is complete.

import Actions
import Foundation
import StrictJSON

/// One parsed model reply: what the model said before its call, and the call as a typed action
/// (coordinates still on the 0–1000 grid).
public struct Proposal: Equatable, Sendable {
    public var thought: String
    public var action: Action
    /// The call as the model wrote it (after strict parsing), for the audit trail.
    public var toolCall: JSONValue

    public init(thought: String, action: Action, toolCall: JSONValue) {
        self.thought = thought
        self.action = action
        self.toolCall = toolCall
    }
}

public enum ToolCallParser {
    /// Replies longer than this are rejected unread; a runaway generation is not a proposal.
    public static let maximumResponseBytes = 64 * 1024

    static let open = "<tool_call>"
    static let close = "</tool_call>"
    static let endTokens = ["<|im_end|>", "<|endoftext|>"]

    /// Parses one model reply. Throws `AgentError` cases for which `isRejection` is true.
    public static func parse(_ reply: String) throws -> Proposal {
        let size = reply.utf8.count
        guard size <= maximumResponseBytes else {
            throw AgentError.responseTooLong(bytes: size, limit: maximumResponseBytes)
        }
        var text = reply.replacingAll("\r\n", with: "\n")
        for token in endTokens { text = text.replacingAll(token, with: "") }

        // A Thinking model's reasoning ends at </think>; its opening tag may be in the prompt instead.
        var thought = ""
        if let end = text.range(of: "</think>") {
            thought = String(text[..<end.lowerBound]).replacingAll("<think>", with: "").trimmingWhitespace()
            text = String(text[end.upperBound...])
        }

        let opens = text.occurrences(of: open)
        let closes = text.occurrences(of: close)
        if opens > 1 || closes > 1 { throw AgentError.multipleToolCalls(count: max(opens, closes)) }

        let body: String
        if let start = text.range(of: open) {
            thought = join(thought, String(text[..<start.lowerBound]))
            let rest = String(text[start.upperBound...])
            if let end = rest.range(of: close) {
                let after = String(rest[end.upperBound...]).trimmingWhitespace()
                // Prose after the call is tolerated; a second call written without tags is not.
                if after.contains("{") { throw AgentError.textAfterToolCall(after) }
                body = String(rest[..<end.lowerBound])
            } else {
                body = try completeJSONWithoutClosingTag(rest)
            }
        } else if closes > 0 {
            throw AgentError.noToolCall
        } else if let (before, fenced) = try bareCall(in: text) {
            thought = join(thought, before)
            body = fenced
        } else {
            throw AgentError.noToolCall
        }

        let value = try parseJSON(stripFence(body))
        if case .array(let items) = value, items.count > 1 { throw AgentError.multipleToolCalls(count: items.count) }
        let action: Action
        do { action = try Action(toolCall: value) } catch let e as ActionError { throw AgentError.invalidAction(e) }
        return Proposal(thought: thought, action: action, toolCall: value)
    }

    /// The body of an unclosed `<tool_call>`: accepted only if it holds one complete JSON value and
    /// nothing but whitespace (or a closing fence) after it.
    static func completeJSONWithoutClosingTag(_ rest: String) throws -> String {
        let inner = stripFence(rest)
        let trimmed = inner.trimmingWhitespace()
        if trimmed.isEmpty { throw AgentError.unterminatedToolCall }
        do {
            let (_, used) = try JSONValue.parsePrefix(trimmed)
            let tail = String(decoding: Array(trimmed.utf8)[used...], as: UTF8.self).trimmingWhitespace()
            guard tail.isEmpty else { throw AgentError.unterminatedToolCall }
            return trimmed
        } catch let e as JSONParseError {
            if e.offset >= trimmed.utf8.count { throw AgentError.truncatedToolCall(e) }
            throw AgentError.invalidToolCallJSON(e)
        }
    }

    /// A call written without tags: the whole reply is a JSON object, or one ```json fence holds one.
    /// Returns the text before it and the JSON text, or nil when there is no such call.
    static func bareCall(in text: String) throws -> (String, String)? {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("{") { return ("", trimmed) }
        let parts = text.components(separatedBy: "```")
        // parts: prose, fence, prose, fence, … (odd indices are fenced).
        var calls: [(String, String)] = []
        var index = 1
        while index < parts.count {
            var block = parts[index]
            if let nl = block.firstIndex(of: "\n") {
                let language = String(block[..<nl]).trimmingWhitespace().lowercased()
                if language == "json" || language.isEmpty { block = String(block[block.index(after: nl)...]) }
            }
            if block.contains("\"name\""), block.contains("\"arguments\"") {
                calls.append((parts[0..<index].joined(separator: "```"), block))
            }
            index += 2
        }
        if calls.count > 1 { throw AgentError.multipleToolCalls(count: calls.count) }
        return calls.first
    }

    /// Removes a Markdown fence around the JSON (```json … ``` or ``` … ```).
    static func stripFence(_ body: String) -> String {
        var s = body.trimmingWhitespace()
        guard s.hasPrefix("```") else { return s }
        s = String(s.dropFirst(3))
        if let nl = s.firstIndex(of: "\n") {
            let language = String(s[..<nl]).trimmingWhitespace()
            if language.allSatisfy({ $0.isLetter }) { s = String(s[s.index(after: nl)...]) }
        } else if s.lowercased().hasPrefix("json") {
            s = String(s.dropFirst(4))
        }
        s = s.trimmingWhitespace()
        if s.hasSuffix("```") { s = String(s.dropLast(3)) }
        return s.trimmingWhitespace()
    }

    static func parseJSON(_ text: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch let e as JSONParseError {
            if e.offset >= text.utf8.count { throw AgentError.truncatedToolCall(e) }
            throw AgentError.invalidToolCallJSON(e)
        }
    }

    static func join(_ a: String, _ b: String) -> String {
        let b = b.trimmingWhitespace()
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        return a + "\n" + b
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    func occurrences(of needle: String) -> Int {
        var count = 0
        var searchRange = startIndex..<endIndex
        while let r = range(of: needle, range: searchRange) {
            count += 1
            searchRange = r.upperBound..<endIndex
        }
        return count
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        components(separatedBy: target).joined(separator: replacement)
    }
}
