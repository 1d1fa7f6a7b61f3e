// Qwen3VL: the module's one error type.

/// Errors of the Qwen3-VL engine. Messages name the file, field or token at fault.
public enum Qwen3VLError: Error, Equatable, CustomStringConvertible {
    case configurationUnreadable(path: String, reason: String)
    case invalidConfiguration(file: String, field: String, reason: String)
    // Vision: images, the processor, multimodal prompts, grounding answers.
    case invalidImage(reason: String)
    case imageTooElongated(width: Int, height: Int)
    case invalidPixelBudget(minPixels: Int, maxPixels: Int)
    case imageCountMismatch(imageTokens: Int, images: Int)
    case notAGrounding(reason: String, answer: String)

    public var description: String {
        switch self {
        case let .configurationUnreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidConfiguration(file, field, reason):
            return "\(file): \(field): \(reason)"
        default:
            return visionDescription
        }
    }

    var visionDescription: String {
        switch self {
        case let .invalidImage(reason):
            return "invalid image: \(reason)"
        case let .imageTooElongated(width, height):
            return "image \(width)×\(height) is too elongated: the longer side may be at most 200 times the shorter"
        case let .invalidPixelBudget(minPixels, maxPixels):
            return "pixel budget \(minPixels)…\(maxPixels) is invalid: need 1 ≤ min ≤ max ≤ 2^30"
        case let .imageCountMismatch(imageTokens, images):
            return "the prompt has \(imageTokens) image placeholder(s) but \(images) image(s) were given"
        case let .notAGrounding(reason, answer):
            let shown = answer.count > 200 ? String(answer.prefix(200)) + "…" : answer
            return "the model's answer is not a grounding (\(reason)): \(shown.debugDescription)"
        default:
            return "\(self)"
        }
    }
}
