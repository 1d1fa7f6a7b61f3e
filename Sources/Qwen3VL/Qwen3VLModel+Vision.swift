// Qwen3VL: the vision half of a loaded model directory — the tower's weights and the image processor settings.
import Foundation
import ModelFormats

extension Qwen3VLModel {
    /// Loads `model.visual.*` strictly and returns an encoder for it. Separate from `init` so text-only use
    /// (`--ids` without `--image`) does not pay for the vision tower.
    public func makeVisionEncoder() throws -> VisionEncoder {
        // The ViT MLP is hard-wired to the tanh GELU every released Qwen3-VL uses; refuse anything else by name.
        guard configuration.vision.hiddenAct == "gelu_pytorch_tanh" else {
            throw Qwen3VLError.invalidConfiguration(file: Qwen3VLConfiguration.fileName, field: "vision_config.hidden_act",
                                                    reason: "'\(configuration.vision.hiddenAct)' is not supported (only gelu_pytorch_tanh)")
        }
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        let weights = try VisionWeights(checkpoint: checkpoint, configuration: configuration.vision, keepBF16: keepBF16)
        return VisionEncoder(configuration: configuration.vision, weights: weights,
                             ropeTheta: try Self.visionRopeTheta(directory: directory))
    }

    /// `preprocessor_config.json` of the directory (Qwen3-VL defaults when absent).
    public func imageProcessor() throws -> ImageProcessor {
        let c = try PreprocessorConfiguration.load(directory: directory)
        let v = configuration.vision
        // The processor's patch geometry must be the tower's, or patch rows would not fit the Conv3d weight.
        guard c.patchSize == v.patchSize, c.temporalPatchSize == v.temporalPatchSize,
              c.mergeSize == v.spatialMergeSize else {
            throw Qwen3VLError.invalidConfiguration(
                file: PreprocessorConfiguration.fileName, field: "patch_size/temporal_patch_size/merge_size",
                reason: "\(c.patchSize)/\(c.temporalPatchSize)/\(c.mergeSize) disagree with config.json's vision_config \(v.patchSize)/\(v.temporalPatchSize)/\(v.spatialMergeSize)")
        }
        return ImageProcessor(configuration: c)
    }

    /// The ViT's rotary base: `vision_config.rope_parameters.rope_theta` in transformers 5.x files, hard-coded
    /// 10000 in 4.57 (`Qwen3VLVisionRotaryEmbedding(theta=10000.0)`).
    static func visionRopeTheta(directory: String) throws -> Double {
        let path = (directory as NSString).appendingPathComponent(Qwen3VLConfiguration.fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return 10_000 }
        let root = try JSONFields(data: data, file: path)
        guard let vision = try root.optionalObject("vision_config"),
              let rope = try vision.optionalObject("rope_parameters"),
              let theta = try rope.optionalDouble("rope_theta") else { return 10_000 }
        guard theta.isFinite, theta > 1 else {
            throw Qwen3VLError.invalidConfiguration(file: path, field: "vision_config.rope_parameters.rope_theta",
                                                    reason: "\(theta) must be a finite number above 1")
        }
        return theta
    }
}
