// Qwen3VL: a one-turn chat prompt with images, as the Qwen3-VL Instruct chat template renders it
// (reference notes §5.2: no default system turn; content items in order, an image as
// `<|vision_start|><|image_pad|><|vision_end|>`; generation prompt `<|im_start|>assistant\n`).

public enum ChatPrompt {
    /// A user turn of `imageCount` images followed by `text`, then the generation prompt. Each
    /// `<|image_pad|>` becomes one image token id when tokenized; the engine expands it per image.
    public static func user(text: String, imageCount: Int) -> String {
        "<|im_start|>user\n"
            + String(repeating: "<|vision_start|><|image_pad|><|vision_end|>", count: imageCount)
            + text + "<|im_end|>\n<|im_start|>assistant\n"
    }
}
