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
        public var tensorsPresent: Int
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
    /// Float32 bytes the text weights take once loaded.
    public var loadedTextBytes: Int

    /// Reads `directory` and verifies its text tensors strictly (names and shapes) without reading them.
    public init(directory: String) throws {
        let config = try Qwen3VLConfiguration.load(directory: directory)
        let generation = try GenerationConfiguration.load(directory: directory, vocabSize: config.text.vocabSize)
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        let declared = TextWeights.declaredTensors(config.text, tied: config.tieWordEmbeddings)
        try checkpoint.verify(declared: declared, deferredPrefixes: [TextWeights.visionPrefix],
                              tolerated: config.tieWordEmbeddings ? [TextWeights.lmHeadName] : [])
        let t = config.text, v = config.vision
        let parameters = declared.values.reduce(0) { $0 + $1.reduce(1, *) }
        self.directory = directory
        modelType = config.modelType
        text = Text(vocabSize: t.vocabSize, hiddenSize: t.hiddenSize, intermediateSize: t.intermediateSize,
                    layers: t.layerCount, heads: t.headCount, kvHeads: t.kvHeadCount, headDim: t.headDim,
                    ropeTheta: t.ropeTheta, mropeSection: t.mropeSection, rmsNormEps: t.rmsNormEps,
                    attentionBias: t.attentionBias, tiedEmbeddings: config.tieWordEmbeddings, parameters: parameters)
        vision = Vision(depth: v.depth, hiddenSize: v.hiddenSize, heads: v.headCount, intermediateSize: v.intermediateSize,
                        patchSize: v.patchSize, spatialMergeSize: v.spatialMergeSize, outHiddenSize: v.outHiddenSize,
                        positionGrid: v.positionGridSide, deepstackVisualIndexes: v.deepstackVisualIndexes,
                        tensorsPresent: checkpoint.tensors.keys.filter { $0.hasPrefix(TextWeights.visionPrefix) }.count)
        imageTokenId = config.imageTokenId
        videoTokenId = config.videoTokenId
        visionStartTokenId = config.visionStartTokenId
        visionEndTokenId = config.visionEndTokenId
        let generationIds = generation?.eosTokenIds ?? []
        stopTokenIds = (generationIds.isEmpty ? t.eosTokenIds : generationIds).sorted()
        checkpointFiles = checkpoint.filePaths.map { ($0 as NSString).lastPathComponent }
        checkpointBytes = checkpoint.tensorBytes
        textDTypes = Set(declared.keys.compactMap { checkpoint.tensors[$0]?.dtype.rawValue }).sorted()
        loadedTextBytes = parameters * 4
    }

    /// Human-readable lines.
    public var lines: [String] {
        func gb(_ b: Int) -> String { String(format: "%.2f GB", Double(b) / 1e9) }
        return [
            "model: \(directory) (\(modelType))",
            "text: \(text.layers) layers, hidden \(text.hiddenSize), intermediate \(text.intermediateSize), heads \(text.heads)/\(text.kvHeads) kv, head_dim \(text.headDim), vocab \(text.vocabSize)",
            "text: rope_theta \(text.ropeTheta), mrope_section \(text.mropeSection), rms_norm_eps \(text.rmsNormEps), attention_bias \(text.attentionBias), \(text.tiedEmbeddings ? "tied" : "untied") output head",
            "text parameters: \(text.parameters) (\(textDTypes.joined(separator: ", ")) on disk; \(gb(loadedTextBytes)) as float32 once loaded)",
            "vision: depth \(vision.depth), hidden \(vision.hiddenSize), heads \(vision.heads), patch \(vision.patchSize), merge \(vision.spatialMergeSize), position grid \(vision.positionGrid)², deepstack \(vision.deepstackVisualIndexes), \(vision.tensorsPresent) tensors in checkpoint",
            "special tokens: image \(imageTokenId), video \(videoTokenId), vision_start \(visionStartTokenId), vision_end \(visionEndTokenId), stop \(stopTokenIds)",
            "checkpoint: \(checkpointFiles.count) file(s), \(gb(checkpointBytes)) of tensors",
        ]
    }
}
