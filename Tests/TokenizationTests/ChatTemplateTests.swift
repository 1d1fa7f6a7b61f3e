// The Swift Qwen3-VL Instruct template against transformers' apply_chat_template on the real Jinja
// template (Fixtures/chat-template-cases.json, written by scripts/make-tokenizer-fixtures.py).

import Foundation
import XCTest
@testable import Tokenization
import StrictJSON

final class ChatTemplateTests: XCTestCase {
    func testFixturesRenderAndEncodeLikeTheReference() throws {
        let cases = try TokenizerFixtures.load("chat-template-cases").list("cases")
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        let tokenizer = try TokenizerFixtures.qwen()
        for c in cases {
            let name = try c.string("name")
            let messages = try c.list("messages").map(Self.message)
            let tools = c["tools"]?.arrayValue ?? []
            let template = Qwen3VLChatTemplate(addVisionID: c["add_vision_id"]?.boolValue ?? false)
            let rendered = template.render(messages, tools: tools,
                                           addGenerationPrompt: c["add_generation_prompt"]?.boolValue ?? false)
            let expected = try c.string("rendered")
            XCTAssertEqual(Array(rendered.utf8), Array(expected.utf8), "\(name):\n\(rendered)\n---- expected:\n\(expected)")
            XCTAssertEqual(tokenizer.encode(rendered), try c.ids("ids"), name)
        }
    }

    func testOneImageQuestion() {
        let prompt = Qwen3VLChatTemplate().render([.user([.image, .text("Describe this image.")])], addGenerationPrompt: true)
        XCTAssertEqual(prompt, "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
                       + "<|im_start|>assistant\n")
    }

    func testNoDefaultSystemPrompt() {
        let prompt = Qwen3VLChatTemplate().render([.user("hi")], addGenerationPrompt: false)
        XCTAssertEqual(prompt, "<|im_start|>user\nhi<|im_end|>\n")
    }

    func testToolCallArgumentsKeepTheirOrder() {
        let call = ChatToolCall(name: "computer_use", arguments: .json(.object([
            ("action", .string("left_click")),
            ("coordinate", .array([.int(447), .int(12)])),
        ])))
        let prompt = Qwen3VLChatTemplate().render([.assistant("", toolCalls: [call])], addGenerationPrompt: false)
        XCTAssertEqual(prompt, "<|im_start|>assistant\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": "
                       + "{\"action\": \"left_click\", \"coordinate\": [447, 12]}}\n</tool_call><|im_end|>\n")
    }

    /// A fixture message (the shape apply_chat_template takes) as a `ChatMessage`.
    static func message(_ json: JSONValue) throws -> ChatMessage {
        guard let roleName = json["role"]?.stringValue, let role = ChatRole(rawValue: roleName) else {
            throw FixtureError("fixture message without a known role")
        }
        var content: ChatContent?
        switch json["content"] {
        case .string(let s)?: content = .text(s)
        case .array(let items)?:
            content = .parts(try items.map { item in
                switch item["type"]?.stringValue {
                case "image": return .image
                case "video": return .video
                case "text": return .text(try item.string("text"))
                default: throw FixtureError("fixture content part of unknown type")
                }
            })
        default: content = nil
        }
        let calls = try (json["tool_calls"]?.arrayValue ?? []).map { raw -> ChatToolCall in
            let call = raw["function"] ?? raw
            let arguments: ChatToolCall.Arguments
            if let s = call["arguments"]?.stringValue { arguments = .raw(s) } else { arguments = .json(call["arguments"] ?? .null) }
            return ChatToolCall(name: try call.string("name"), arguments: arguments)
        }
        return ChatMessage(role: role, content: content, toolCalls: calls)
    }
}
