// Qwen3VL: messages of the vision error cases (the cases themselves are in Qwen3VLError.swift).

extension Qwen3VLError {
    var visionDescription: String {
        switch self {
        case let .invalidImage(reason):
            return "invalid image: \(reason)"
        case let .imageTooElongated(width, height):
            return "image \(width)×\(height) is too elongated: the longer side may be at most 200 times the shorter"
        case let .invalidPixelBudget(minPixels, maxPixels):
            return "pixel budget \(minPixels)…\(maxPixels) is invalid: need 1 ≤ min ≤ max ≤ 2^30"
        case let .notAGrounding(reason, answer):
            let shown = answer.count > 200 ? String(answer.prefix(200)) + "…" : answer
            return answer.isEmpty ? "not a grounding: \(reason)"
                : "the model's answer is not a grounding (\(reason)): \(shown.debugDescription)"
        default:
            return "\(self)"
        }
    }
}
