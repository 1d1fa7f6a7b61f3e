// Qwen3VL: what `understudy model info` reports — read from config files and tensor headers only,
// so inspecting a multi-gigabyte checkpoint costs milliseconds.
import Foundation
import ModelFormats

/// A description of a model directory, checked strictly against the configuration without loading weights.
public struct ModelSummary: Encodable, Sendable {
    public struct Text: Encodable, Sendable {
        public var vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim: Int
        public var ropeTheta: Double
        public var mropeSection: [Int]
        public var rmsNormEps: Double
        public var attentionBias: Bool
        public var tiedEmbeddings: Bool
        public var parameters: Int
    }
    public struct Vision: Encodable, Sendable {
        public var depth, hiddenSize, heads, intermediateSize, patchSize, spatialMergeSize, outHiddenSize: Int
        public var positionGrid: Int
        public var deepstackVisualIndexes: [Int]
        /// Tensors of the tower in the checkpoint: 0 for a text-only checkpoint, else every declared one
        /// (verified by name and shape like the text tensors).
        public var tensorsPresent: Int
        public var parameters: Int
        public var dtypes: [String]
    }
    public var directory: String
    public var modelType: String
    public var text: Text
    public var vision: Vision
    public var imageTokenId, videoTokenId, visionStartTokenId, visionEndTokenId: Int
    public var stopTokenIds: [Int]
    public var checkpointFiles: [String]
    public var checkpointBytes: Int
    public var textDTypes: [String]
    /// Bytes the text weights take once loaded: bf16 matrices stay in the mapping (2 bytes each), the
    /// rest is float32.
    public var loadedTextBytes: Int
    /// The same for the vision tower (0 for a text-only checkpoint).
    public var loadedVisionBytes: Int

    /// Reads `directory` and verifies its text tensors — and the vision tower's, when the checkpoint has
    /// any — strictly (names and shapes) without reading them.
    public init(directory: String) throws {
        let config = try Qwen3VLConfiguration.load(directory: directory)
        let generation = try GenerationConfiguration.load(directory: directory, vocabSize: config.text.vocabSize)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        let declared = TextWeights.declaredTensors(config.text, tied: config.tieWordEmbeddings)
        let hasVision = checkpoint.tensors.keys.contains { $0.hasPrefix(TextWeights.visionPrefix) }
        let visionDeclared = hasVision ? VisionWeights.declaredTensors(config.vision) : [:]
        try checkpoint.verify(declared: declared.merging(visionDeclared) { a, _ in a },
                              tolerated: config.tieWordEmbeddings ? [TextWeights.lmHeadName] : [])
        let t = config.text, v = config.vision
        let parameters = declared.values.reduce(0) { $0 + $1.reduce(1, *) }
        /// Resident bytes as the engine loads them (bf16 matrices of the given names mapped in place).
        func loadedBytes(_ tensors: [String: [Int]], mappable: (String) -> Bool) -> Int {
            tensors.reduce(0) { sum, entry in
                let count = entry.value.reduce(1, *)
                let inPlace = entry.value.count == 2 && checkpoint.tensors[entry.key]?.dtype == .bf16 && mappable(entry.key)
                return sum + count * (inPlace ? 2 : 4)
            }
        }
        self.directory = directory
        modelType = config.modelType
        text = Text(vocabSize: t.vocabSize, hiddenSize: t.hiddenSize, intermediateSize: t.intermediateSize,
                    layers: t.layerCount, heads: t.headCount, kvHeads: t.kvHeadCount, headDim: t.headDim,
                    ropeTheta: t.ropeTheta, mropeSection: t.mropeSection, rmsNormEps: t.rmsNormEps,
                    attentionBias: t.attentionBias, tiedEmbeddings: config.tieWordEmbeddings, parameters: parameters)
        vision = Vision(depth: v.depth, hiddenSize: v.hiddenSize, heads: v.headCount, intermediateSize: v.intermediateSize,
                        patchSize: v.patchSize, spatialMergeSize: v.spatialMergeSize, outHiddenSize: v.outHiddenSize,
                        positionGrid: v.positionGridSide, deepstackVisualIndexes: v.deepstackVisualIndexes,
                        tensorsPresent: visionDeclared.count,
                        parameters: visionDeclared.values.reduce(0) { $0 + $1.reduce(1, *) },
                        dtypes: Set(visionDeclared.keys.compactMap { checkpoint.tensors[$0]?.dtype.rawValue }).sorted())
        imageTokenId = config.imageTokenId
        videoTokenId = config.videoTokenId
        visionStartTokenId = config.visionStartTokenId
        visionEndTokenId = config.visionEndTokenId
        let generationIds = generation?.eosTokenIds ?? []
        stopTokenIds = (generationIds.isEmpty ? t.eosTokenIds : generationIds).sorted()
        checkpointFiles = checkpoint.filePaths.map { ($0 as NSString).lastPathComponent }
        checkpointBytes = checkpoint.tensorBytes
        textDTypes = Set(declared.keys.compactMap { checkpoint.tensors[$0]?.dtype.rawValue }).sorted()
        loadedTextBytes = loadedBytes(declared) { _ in true }
        loadedVisionBytes = loadedBytes(visionDeclared) { VisionWeights.keepsMapped($0) }
    }

    /// Human-readable lines.
    public var lines: [String] {
        func gb(_ b: Int) -> String { String(format: "%.2f GB", Double(b) / 1e9) }
        return [
            "model: \(directory) (\(modelType))",
            "text: \(text.layers) layers, hidden \(text.hiddenSize), intermediate \(text.intermediateSize), heads \(text.heads)/\(text.kvHeads) kv, head_dim \(text.headDim), vocab \(text.vocabSize)",
            "text: rope_theta \(text.ropeTheta), mrope_section \(text.mropeSection), rms_norm_eps \(text.rmsNormEps), attention_bias \(text.attentionBias), \(text.tiedEmbeddings ? "tied" : "untied") output head",
            "text parameters: \(text.parameters) (\(textDTypes.joined(separator: ", ")) on disk; \(gb(loadedTextBytes)) once loaded)",
            "vision: depth \(vision.depth), hidden \(vision.hiddenSize), heads \(vision.heads), patch \(vision.patchSize), merge \(vision.spatialMergeSize), position grid \(vision.positionGrid)², deepstack \(vision.deepstackVisualIndexes)",
            vision.tensorsPresent == 0
                ? "vision parameters: none in the checkpoint (text only: images cannot be used)"
                : "vision parameters: \(vision.parameters) in \(vision.tensorsPresent) tensors, all checked (\(vision.dtypes.joined(separator: ", ")) on disk; \(gb(loadedVisionBytes)) once loaded)",
            "special tokens: image \(imageTokenId), video \(videoTokenId), vision_start \(visionStartTokenId), vision_end \(visionEndTokenId), stop \(stopTokenIds)",
            "checkpoint: \(checkpointFiles.count) file(s), \(gb(checkpointBytes)) of tensors",
        ]
    }
}
