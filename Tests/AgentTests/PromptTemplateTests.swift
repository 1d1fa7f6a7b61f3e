import Foundation
import XCTest
@testable import Agent
import Tokenization

/// docs/qwen3vl-reference.md §6.3: the system turn written as text must render exactly as the chat
/// template renders our instructions with the tool passed through `tools=`, so a server or engine that
/// gets plain messages sees the prompt the model was trained on.
final class PromptTemplateTests: XCTestCase {
    func testSystemTextEqualsTheTemplateWithTools() throws {
        let template = Qwen3VLChatTemplate()
        let tool = try Tokenization.JSONValue.parse(PromptBuilder.pythonJSON(PromptBuilder.tool))
        let withTools = template.render([.system(PromptBuilder.instructions), .user("task")], tools: [tool],
                                        addGenerationPrompt: true)
        let asText = template.render([.system(PromptBuilder().systemText), .user("task")], addGenerationPrompt: true)
        XCTAssertEqual(asText, withTools)
    }
}
