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

    /// A decoder with its own KV cache for `contextCapacity` positions.
    public func makeDecoder(contextCapacity: Int, batchCapacity: Int = 256, allPositionLogits: Bool = false) -> TextDecoder {
        TextDecoder(configuration: configuration.text, weights: weights, contextCapacity: contextCapacity,
                    batchCapacity: batchCapacity, allPositionLogits: allPositionLogits)
    }
}
