// The native engine's prompt text: the same conversation `PromptBuilder` lays out, rendered by the real
// Qwen3-VL chat template (`Tokenization.Qwen3VLChatTemplate`) instead of being sent as messages.
//
// The system turn is our instructions with the computer_use tool passed the way `tools=` passes it, so the
// template writes the tools block itself (PromptTemplateTests shows this equals `PromptBuilder.systemText`);
// the user turn is the screenshot's placeholder (`<|vision_start|><|image_pad|><|vision_end|>`, one image
// token that the engine expands to the image's token count) followed by `PromptBuilder.userText`; then the
// generation prompt `<|im_start|>assistant\n`. Nothing of PromptBuilder's wording is repeated here.

import Tokenization

public enum NativePrompt {
    /// The whole prompt text for one turn, one image placeholder included.
    public static func render(_ request: PlanRequest, builder: PromptBuilder = PromptBuilder()) throws -> String {
        let messages: [Tokenization.ChatMessage] = [
            .system(PromptBuilder.instructions),
            .user([.image, .text(builder.userText(for: request))]),
        ]
        // The tool read back from PromptBuilder's own JSON text, member order kept, as the template's JSON value.
        let schema = PromptBuilder.pythonJSON(PromptBuilder.tool)
        do {
            return Qwen3VLChatTemplate().render(messages, tools: [try .parse(schema)], addGenerationPrompt: true)
        } catch {
            throw AgentError.configuration("the computer_use tool does not read back as JSON: \(error)")
        }
    }
}
