// Qwen3VL: the model configuration (`config.json`), decoded and validated once.
// Ported from transformers `models/qwen3_vl/configuration_qwen3_vl.py` (v4.57.1 and v5.24.0 forms).
import Foundation

/// `config.json` of a Qwen3-VL checkpoint. Accepts both the transformers 4.57 form (`rope_theta` and
/// `rope_scaling` in `text_config`) and the 5.x form (`rope_parameters`), and validates every constraint the
/// reference leaves unchecked (reference notes §9.2) so a bad file fails here with a readable message instead of
/// producing garbage later.
public struct Qwen3VLConfiguration: Equatable, Sendable {
    public var modelType: String
    public var text: TextConfiguration
    public var vision: VisionConfiguration
    public var imageTokenId: Int
    public var videoTokenId: Int
    public var visionStartTokenId: Int
    public var visionEndTokenId: Int
    /// 2B/4B share the output head with the embedding; there is then no `lm_head.weight` in the checkpoint.
    public var tieWordEmbeddings: Bool

    public static let fileName = "config.json"

    /// Reads, decodes and validates `directory/config.json`.
    public static func load(directory: String) throws -> Qwen3VLConfiguration {
        let path = (directory as NSString).appendingPathComponent(fileName)
        return try load(path: path)
    }

    /// Reads, decodes and validates a configuration file.
    public static func load(path: String) throws -> Qwen3VLConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Qwen3VLError.configurationUnreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, file: path)
    }

    /// Decodes and validates configuration JSON; `file` labels errors.
    public static func decode(_ data: Data, file: String = fileName) throws -> Qwen3VLConfiguration {
        let root = try JSONFields(data: data, file: file)
        let modelType = try root.string("model_type")
        switch modelType {
        case "qwen3_vl": break
        case "qwen3_vl_moe":
            throw Qwen3VLError.unsupportedModel(file: file, reason: "Qwen3-VL MoE (model_type 'qwen3_vl_moe') is not supported yet; use a dense checkpoint")
        default:
            throw Qwen3VLError.unknownModelType(file: file, modelType: modelType)
        }
        let textFields = try root.object("text_config")
        let tie = try root.optionalBool("tie_word_embeddings") ?? textFields.optionalBool("tie_word_embeddings") ?? false
        let config = Qwen3VLConfiguration(
            modelType: modelType,
            text: try TextConfiguration(textFields),
            vision: try VisionConfiguration(try root.object("vision_config")),
            imageTokenId: try root.int("image_token_id"),
            videoTokenId: try root.int("video_token_id"),
            visionStartTokenId: try root.int("vision_start_token_id"),
            visionEndTokenId: try root.int("vision_end_token_id"),
            tieWordEmbeddings: tie)
        try config.validate(file: file)
        return config
    }

    /// Checks every cross-field constraint. Called by `decode`; public for configurations built in code.
    public func validate(file: String = fileName) throws {
        try text.validate(file: file)
        try vision.validate(file: file, text: text)
        for (field, id) in [("image_token_id", imageTokenId), ("video_token_id", videoTokenId),
                            ("vision_start_token_id", visionStartTokenId), ("vision_end_token_id", visionEndTokenId)] {
            guard id >= 0 && id < text.vocabSize else {
                throw Qwen3VLError.invalidConfiguration(file: file, field: field,
                                                        reason: "\(id) is outside the vocabulary (0..<\(text.vocabSize))")
            }
        }
        for id in text.eosTokenIds where id < 0 || id >= text.vocabSize {
            throw Qwen3VLError.invalidConfiguration(file: file, field: "text_config.eos_token_id",
                                                    reason: "\(id) is outside the vocabulary (0..<\(text.vocabSize))")
        }
    }
}

/// `text_config`: the Qwen3 decoder.
public struct TextConfiguration: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    /// Explicit in real configs and not hidden/heads for 4B and 32B (2560/32 = 80 ≠ 128).
    public var headDim: Int
    public var rmsNormEps: Double
    public var maxPositionEmbeddings: Int
    public var ropeTheta: Double
    /// Frequencies per (t, h, w) axis; sums to headDim/2 ([24, 20, 20] for the released models).
    public var mropeSection: [Int]
    public var mropeInterleaved: Bool
    public var attentionBias: Bool
    public var hiddenAct: String
    public var eosTokenIds: [Int]

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                kvHeadCount: Int, headDim: Int, rmsNormEps: Double = 1e-6, maxPositionEmbeddings: Int = 262_144,
                ropeTheta: Double = 5_000_000, mropeSection: [Int], mropeInterleaved: Bool = true,
                attentionBias: Bool = false, hiddenAct: String = "silu", eosTokenIds: [Int] = []) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.layerCount = layerCount; self.headCount = headCount; self.kvHeadCount = kvHeadCount
        self.headDim = headDim; self.rmsNormEps = rmsNormEps; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.ropeTheta = ropeTheta; self.mropeSection = mropeSection; self.mropeInterleaved = mropeInterleaved
        self.attentionBias = attentionBias; self.hiddenAct = hiddenAct; self.eosTokenIds = eosTokenIds
    }

    init(_ f: JSONFields) throws {
        vocabSize = try f.int("vocab_size")
        hiddenSize = try f.int("hidden_size")
        intermediateSize = try f.int("intermediate_size")
        layerCount = try f.int("num_hidden_layers")
        headCount = try f.int("num_attention_heads")
        kvHeadCount = try f.optionalInt("num_key_value_heads") ?? headCount
        headDim = try f.optionalInt("head_dim") ?? (headCount > 0 ? hiddenSize / headCount : 0)
        rmsNormEps = try f.optionalDouble("rms_norm_eps") ?? 1e-6
        maxPositionEmbeddings = try f.optionalInt("max_position_embeddings") ?? 262_144
        attentionBias = try f.optionalBool("attention_bias") ?? false
        hiddenAct = try f.optionalString("hidden_act") ?? "silu"
        eosTokenIds = try f.optionalIntOrIntArray("eos_token_id") ?? []

        // 5.x folds rope_theta and rope_scaling into rope_parameters; 4.57 keeps them apart.
        let rope: JSONFields
        if let parameters = try f.optionalObject("rope_parameters") {
            rope = parameters
            ropeTheta = try parameters.double("rope_theta")
        } else {
            guard let scaling = try f.optionalObject("rope_scaling") else {
                throw Qwen3VLError.invalidConfiguration(
                    file: f.file, field: "\(f.path).rope_scaling",
                    reason: "missing: a Qwen3-VL text_config needs rope_parameters (transformers 5.x) or rope_theta + rope_scaling with mrope_section (4.57)")
            }
            rope = scaling
            ropeTheta = try f.double("rope_theta")
        }
        let ropeType = try rope.optionalString("rope_type") ?? rope.optionalString("type") ?? "default"
        guard ropeType == "default" || ropeType == "mrope" else {
            throw Qwen3VLError.invalidConfiguration(file: f.file, field: "\(rope.path).rope_type",
                                                    reason: "'\(ropeType)' is not supported (only the default multimodal RoPE)")
        }
        mropeSection = try rope.intArray("mrope_section")
        mropeInterleaved = try rope.optionalBool("mrope_interleaved") ?? false
    }

    /// Query heads per key/value head.
    public var groupSize: Int { headCount / max(kvHeadCount, 1) }

    func validate(file: String) throws {
        func fail(_ field: String, _ reason: String) -> Qwen3VLError {
            .invalidConfiguration(file: file, field: "text_config.\(field)", reason: reason)
        }
        for (field, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize),
                               ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
                               ("num_attention_heads", headCount), ("num_key_value_heads", kvHeadCount),
                               ("head_dim", headDim), ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw fail(field, "must be positive, got \(value)")
        }
        // Sizes beyond these are not a real model but a corrupt or hostile file; refusing them keeps
        // allocation sizes far from overflow.
        for (field, value, limit) in [("vocab_size", vocabSize, 1 << 22), ("hidden_size", hiddenSize, 1 << 16),
                                      ("intermediate_size", intermediateSize, 1 << 18),
                                      ("num_hidden_layers", layerCount, 1024), ("num_attention_heads", headCount, 1024),
                                      ("head_dim", headDim, 4096)] where value > limit {
            throw fail(field, "\(value) is implausibly large (limit \(limit))")
        }
        guard headCount % kvHeadCount == 0 else {
            throw fail("num_key_value_heads", "\(kvHeadCount) does not divide num_attention_heads \(headCount)")
        }
        guard headDim % 2 == 0 else { throw fail("head_dim", "\(headDim) must be even for rotary embedding") }
        guard rmsNormEps.isFinite, rmsNormEps > 0, rmsNormEps < 1 else {
            throw fail("rms_norm_eps", "\(rmsNormEps) must be a small positive number")
        }
        guard ropeTheta.isFinite, ropeTheta > 1 else { throw fail("rope_theta", "\(ropeTheta) must be a finite number above 1") }
        guard hiddenAct == "silu" else { throw fail("hidden_act", "'\(hiddenAct)' is not supported (only silu)") }
        guard mropeSection.count == 3 else {
            throw fail("mrope_section", "needs 3 entries (t, h, w), got \(mropeSection.count)")
        }
        guard mropeSection.allSatisfy({ $0 >= 0 }), mropeSection.reduce(0, +) == headDim / 2 else {
            throw fail("mrope_section", "\(mropeSection) must be non-negative and sum to head_dim/2 = \(headDim / 2)")
        }
        guard mropeInterleaved else {
            throw fail("mrope_interleaved", "only interleaved MRoPE (Qwen3-VL) is supported")
        }
        // Interleaved layout puts H at j ≡ 1 and W at j ≡ 2 (mod 3) below 3·section; indexes past head_dim/2
        // are dropped by the reference (slice assignment), and `RotaryEmbedding` reproduces that exactly, so a
        // section like [2, 3, 3] for head_dim 16 is legal even though W then drives only 2 frequencies.
    }
}

/// `vision_config`: decoded and validated now so the vision encoder (a later issue) can rely on it.
public struct VisionConfiguration: Equatable, Sendable {
    public var depth: Int
    public var hiddenSize: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var patchSize: Int
    public var temporalPatchSize: Int
    public var spatialMergeSize: Int
    public var inChannels: Int
    public var outHiddenSize: Int
    public var positionEmbeddingCount: Int
    public var deepstackVisualIndexes: [Int]
    public var hiddenAct: String

    init(_ f: JSONFields) throws {
        depth = try f.int("depth")
        hiddenSize = try f.int("hidden_size")
        headCount = try f.int("num_heads")
        intermediateSize = try f.int("intermediate_size")
        patchSize = try f.optionalInt("patch_size") ?? 16
        temporalPatchSize = try f.optionalInt("temporal_patch_size") ?? 2
        spatialMergeSize = try f.optionalInt("spatial_merge_size") ?? 2
        inChannels = try f.optionalInt("in_channels") ?? 3
        outHiddenSize = try f.int("out_hidden_size")
        positionEmbeddingCount = try f.int("num_position_embeddings")
        deepstackVisualIndexes = try f.optionalIntArray("deepstack_visual_indexes") ?? []
        hiddenAct = try f.optionalString("hidden_act") ?? "gelu_pytorch_tanh"
    }

    /// Side of the square learned position table (48 for 2304 entries).
    public var positionGridSide: Int { Int(Double(positionEmbeddingCount).squareRoot()) }

    func validate(file: String, text: TextConfiguration) throws {
        func fail(_ field: String, _ reason: String) -> Qwen3VLError {
            .invalidConfiguration(file: file, field: "vision_config.\(field)", reason: reason)
        }
        for (field, value) in [("depth", depth), ("hidden_size", hiddenSize), ("num_heads", headCount),
                               ("intermediate_size", intermediateSize), ("patch_size", patchSize),
                               ("temporal_patch_size", temporalPatchSize), ("spatial_merge_size", spatialMergeSize),
                               ("in_channels", inChannels), ("out_hidden_size", outHiddenSize),
                               ("num_position_embeddings", positionEmbeddingCount)] where value <= 0 {
            throw fail(field, "must be positive, got \(value)")
        }
        for (field, value, limit) in [("depth", depth, 1024), ("hidden_size", hiddenSize, 1 << 16),
                                      ("intermediate_size", intermediateSize, 1 << 18),
                                      ("num_position_embeddings", positionEmbeddingCount, 1 << 24),
                                      ("patch_size", patchSize, 1024),
                                      // Products of these size buffers (merge², channels·temporal·patch²).
                                      ("temporal_patch_size", temporalPatchSize, 16),
                                      ("spatial_merge_size", spatialMergeSize, 16),
                                      ("in_channels", inChannels, 16)] where value > limit {
            throw fail(field, "\(value) is implausibly large (limit \(limit))")
        }
        guard hiddenSize % headCount == 0 else {
            throw fail("num_heads", "\(headCount) does not divide hidden_size \(hiddenSize)")
        }
        guard (hiddenSize / headCount) % 4 == 0 else {
            throw fail("num_heads", "vision head_dim \(hiddenSize / headCount) must be divisible by 4 (2-D rotary embedding)")
        }
        let side = positionGridSide
        guard side * side == positionEmbeddingCount else {
            throw fail("num_position_embeddings", "\(positionEmbeddingCount) is not a perfect square (the position table is square)")
        }
        guard outHiddenSize == text.hiddenSize else {
            throw fail("out_hidden_size", "\(outHiddenSize) must equal text_config.hidden_size \(text.hiddenSize)")
        }
        for index in deepstackVisualIndexes where index < 0 || index >= depth {
            throw fail("deepstack_visual_indexes", "index \(index) is not below depth \(depth)")
        }
        guard Set(deepstackVisualIndexes).count == deepstackVisualIndexes.count else {
            throw fail("deepstack_visual_indexes", "\(deepstackVisualIndexes) repeats an index")
        }
        guard deepstackVisualIndexes.count <= text.layerCount else {
            throw fail("deepstack_visual_indexes", "\(deepstackVisualIndexes.count) entries but only \(text.layerCount) text layers to inject into")
        }
    }
}
