// Qwen3VL: the prompt that asks the model to ground a target in one image.
// Wording after the point-grounding prompt of the Qwen3-VL report's evaluation as quoted in reference notes §6.2
// ("Output the point coordinates in JSON format. For example: [{"point_2d": [x, y], "label": "point_1"}]");
// The chat around it: ChatPrompt.
import Foundation

public enum GroundingPrompt {
    /// The instruction text for `target` (a short description of a UI element or object).
    public static func instruction(target: String) -> String {
        "Locate \(target) in the image. Output the point coordinates in JSON format. "
            + "For example: [{\"point_2d\": [x, y], \"label\": \"point_1\"}]"
    }

    /// Why `target` cannot be used, or nil: empty text, or special-token spellings that could forge chat
    /// structure once tokenized.
    public static func problem(withTarget target: String) -> String? {
        if target.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "the target is empty" }
        if target.contains("<|") || target.contains("|>") { return "the target may not contain '<|' or '|>'" }
        return nil
    }
}
