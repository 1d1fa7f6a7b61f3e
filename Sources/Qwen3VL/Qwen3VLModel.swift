// Qwen3VL: a loaded checkpoint directory — configuration, stop tokens and text weights.
import Foundation
import ModelFormats

/// A Qwen3-VL model directory loaded for inference. The vision tower (`model.visual.*`) is left to the
/// vision encoder (next issue); everything the text decoder needs is verified and loaded strictly.
public final class Qwen3VLModel {
    public let directory: String
    public let configuration: Qwen3VLConfiguration
    public let generation: GenerationConfiguration?
    public let weights: TextWeights
    /// Dtypes found in the checkpoint's text tensors (for `model info`).
    public let checkpointDTypes: [String]
    public let checkpointFiles: [String]
    /// Whether bf16 projection matrices stay memory-mapped (text here, vision in `makeVisionEncoder`).
    public let keepBF16: Bool

    /// Loads `directory` (config.json, generation_config.json if present, *.safetensors). bf16 projection
    /// matrices stay memory-mapped unless `keepBF16` is false (then everything is widened to float32).
    public init(directory: String, keepBF16: Bool = true) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw Qwen3VLError.configurationUnreadable(path: directory, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            if directory.hasSuffix(".gguf") {
                throw Qwen3VLError.unsupportedModel(file: directory, reason: "GGUF models are not supported yet; use a Hugging Face safetensors directory")
            }
            throw Qwen3VLError.configurationUnreadable(path: directory, reason: "expected a model directory (config.json + *.safetensors)")
        }
        self.directory = directory
        self.keepBF16 = keepBF16
        configuration = try Qwen3VLConfiguration.load(directory: directory)
        generation = try GenerationConfiguration.load(directory: directory, vocabSize: configuration.text.vocabSize)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        checkpointFiles = checkpoint.filePaths.map { ($0 as NSString).lastPathComponent }
        checkpointDTypes = Set(checkpoint.tensors.values.filter { $0.name.hasPrefix(TextWeights.prefix) }
            .map(\.dtype.rawValue)).sorted()
        weights = try TextWeights(checkpoint: checkpoint, configuration: configuration.text,
                                  tied: configuration.tieWordEmbeddings, keepBF16: keepBF16)
    }

    /// Stop tokens: generation_config.json's eos ids (`<|im_end|>`, `<|endoftext|>` for the released models),
    /// else text_config's. Never hard-coded.
    public var stopTokenIds: Set<Int> {
        if let ids = generation?.eosTokenIds, !ids.isEmpty { return Set(ids) }
        return Set(configuration.text.eosTokenIds)
    }

    /// Refuses a context longer than the model's `max_position_embeddings` before anything is allocated for it
    /// (a mistyped `--max-tokens` must be an error, not an attempt to allocate terabytes of KV cache).
    public func checkContext(_ positions: Int) throws {
        let limit = configuration.text.maxPositionEmbeddings
        guard positions >= 1, positions <= limit else {
            throw Qwen3VLError.contextTooLong(positions: positions, limit: limit)
        }
    }

    /// Checks a prompt against the images given with it: every `image_token_id` stands for one image (the
    /// command-line contract), so the counts must agree; video placeholders are refused (no video support).
    public func checkPrompt(_ tokens: [Int], imageCount: Int) throws {
        let imageTokens = tokens.filter { $0 == configuration.imageTokenId }.count
        guard imageTokens == imageCount else {
            throw Qwen3VLError.imageTokenCountMismatch(imageTokens: imageTokens, images: imageCount,
                                                       imageTokenId: configuration.imageTokenId)
        }
        if tokens.contains(configuration.videoTokenId) {
            throw Qwen3VLError.invalidImage(reason: "video placeholders (video_token_id \(configuration.videoTokenId)) are not supported")
        }
    }

    /// A decoder with its own KV cache for `contextCapacity` positions.
    public func makeDecoder(contextCapacity: Int, batchCapacity: Int = 256, allPositionLogits: Bool = false) -> TextDecoder {
        TextDecoder(configuration: configuration.text, weights: weights, contextCapacity: contextCapacity,
                    batchCapacity: batchCapacity, allPositionLogits: allPositionLogits)
    }
}
