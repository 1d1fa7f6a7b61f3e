// Qwen3VL: the module's one error type.

/// Errors of the Qwen3-VL engine. Messages name the file, field or token at fault.
public enum Qwen3VLError: Error, Equatable, CustomStringConvertible {
    case configurationUnreadable(path: String, reason: String)
    case invalidConfiguration(file: String, field: String, reason: String)
    case unknownModelType(file: String, modelType: String)
    case unsupportedModel(file: String, reason: String)
    case tokenOutOfRange(token: Int, vocabularySize: Int)
    case contextFull(position: Int, tokens: Int, capacity: Int)
    case emptyPrompt
    /// A prefill asked to keep cached positions it cannot: beyond the cache, past the first image token,
    /// or the whole prompt.
    case invalidPrefixReuse(reused: Int, cached: Int, firstImage: Int, tokens: Int)
    case imageTokenCountMismatch(imageTokens: Int, images: Int, imageTokenId: Int)
    case contextTooLong(positions: Int, limit: Int)
    case allPositionLogitsNotAllocated
    // Vision (images, the processor, multimodal prompts, grounding answers); messages in Qwen3VLError+Vision.swift.
    case invalidImage(reason: String)
    case imageTooElongated(width: Int, height: Int)
    case invalidPixelBudget(minPixels: Int, maxPixels: Int)
    case notAGrounding(reason: String, answer: String)

    public var description: String {
        switch self {
        case let .configurationUnreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidConfiguration(file, field, reason):
            return "\(file): \(field): \(reason)"
        case let .unknownModelType(file, modelType):
            return "\(file): model_type '\(modelType)' is not a Qwen3-VL model (expected 'qwen3_vl')"
        case let .unsupportedModel(file, reason):
            return "\(file): \(reason)"
        case let .tokenOutOfRange(token, vocabularySize):
            return "token id \(token) is outside the vocabulary (0..<\(vocabularySize))"
        case let .contextFull(position, tokens, capacity):
            return "\(tokens) more tokens at position \(position) exceed the context of \(capacity) tokens allocated"
        case .emptyPrompt:
            return "the prompt has no tokens"
        case let .invalidPrefixReuse(reused, cached, firstImage, tokens):
            return "cannot keep \(reused) cached positions: \(cached) are cached, the first image token is at \(firstImage), the prompt has \(tokens) tokens"
        case let .imageTokenCountMismatch(imageTokens, images, imageTokenId):
            return "the prompt has \(imageTokens) image token(s) (id \(imageTokenId)) but \(images) --image file(s) were given; each image token stands for one image"
        case let .contextTooLong(positions, limit):
            return "prompt plus generated tokens (\(positions)) exceed the model's max_position_embeddings (\(limit))"
        case .allPositionLogitsNotAllocated:
            return "this decoder was made without room for every position's logits (allPositionLogits: false)"
        case .invalidImage, .imageTooElongated, .invalidPixelBudget, .notAGrounding:
            return visionDescription
        }
    }
}
