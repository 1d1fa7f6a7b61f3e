// Qwen3VL: the vision tower's weights, declared with their shapes and loaded strictly.
// Key names from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLVisionModel, Qwen3VLVisionBlock,
// Qwen3VLVisionAttention, Qwen3VLVisionMLP, Qwen3VLVisionPatchMerger) as saved by `save_pretrained`:
// `model.visual.*`. Shapes: reference notes §3.
import Dispatch
import Foundation
import ModelFormats
import Tensors

/// One ViT block. Matrices are `[out, in]` (y = x·Wᵀ); vectors `[1, n]`.
public struct VisionBlockWeights {
    public let norm1Weight, norm1Bias: Matrix   // [1, Dv]
    public let qkv: Weight                      // [3·Dv, Dv], rows q | k | v
    public let qkvBias: Matrix                  // [1, 3·Dv]
    public let proj: Weight                     // [Dv, Dv]
    public let projBias: Matrix                 // [1, Dv]
    public let norm2Weight, norm2Bias: Matrix   // [1, Dv]
    public let fc1: Weight                      // [Iv, Dv]
    public let fc1Bias: Matrix                  // [1, Iv]
    public let fc2: Weight                      // [Dv, Iv]
    public let fc2Bias: Matrix                  // [1, Dv]
}

/// A patch merger: LayerNorm (over Dv before the 2×2 shuffle, or over 4·Dv after it for DeepStack), then
/// fc1 [4Dv, 4Dv] → erf-GELU → fc2 [D, 4Dv].
public struct PatchMergerWeights {
    public let normWeight, normBias: Matrix     // [1, Dv] or [1, 4·Dv]
    public let fc1: Weight                      // [4·Dv, 4·Dv]
    public let fc1Bias: Matrix                  // [1, 4·Dv]
    public let fc2: Weight                      // [D, 4·Dv]
    public let fc2Bias: Matrix                  // [1, D]
    /// DeepStack mergers normalise the concatenated 4·Dv vector (`use_postshuffle_norm=True`).
    public let postShuffleNorm: Bool
}

/// Every `model.visual.*` tensor. The block and merger matrices of a bf16 checkpoint stay bf16 in the
/// memory mapping (like the text decoder's, `keepBF16`), widened block by block inside each product;
/// everything else — the patch embedding, position table, norms, biases, f16/f32 tensors — is float32,
/// widened once at load.
public final class VisionWeights {
    public static let prefix = "model.visual."

    public let patchEmbed: Matrix               // [Dv, C·Tp·P·P] = Conv3d weight [Dv, C, Tp, P, P] flattened
    public let patchEmbedBias: Matrix           // [1, Dv]
    public let positionTable: Matrix            // [S·S, Dv]
    public let blocks: [VisionBlockWeights]
    public let merger: PatchMergerWeights
    /// In the order of `deepstack_visual_indexes` (merger k belongs to ViT block `deepstack_visual_indexes[k]`).
    public let deepstackMergers: [PatchMergerWeights]
    /// Bytes of weights held, float32 and bf16.
    public let byteCount: Int
    /// Largest bf16 matrix (elements), capped: the scratch a product widens blocks into (0 when none).
    public let bf16ScratchCount: Int
    /// Keeps the memory mapping alive while bf16 weights point into it.
    private let checkpoint: SafetensorsCheckpoint?

    /// Whether a bf16 matrix of this name stays in the mapping (the block and merger products; the patch
    /// embedding and the position table are read once per image and kept as float32).
    public static func keepsMapped(_ name: String) -> Bool {
        name.hasPrefix(prefix + "blocks.") || name.hasPrefix(prefix + "merger.") || name.hasPrefix(prefix + "deepstack_merger_list.")
    }

    /// Every tensor of the vision tower with its shape.
    public static func declaredTensors(_ v: VisionConfiguration) -> [String: [Int]] {
        let dv = v.hiddenSize, iv = v.intermediateSize, wide = dv * v.spatialMergeSize * v.spatialMergeSize
        var out: [String: [Int]] = [
            prefix + "patch_embed.proj.weight": [dv, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize],
            prefix + "patch_embed.proj.bias": [dv],
            prefix + "pos_embed.weight": [v.positionEmbeddingCount, dv],
        ]
        for i in 0..<v.depth {
            let p = prefix + "blocks.\(i)."
            for n in ["norm1", "norm2"] {
                out[p + n + ".weight"] = [dv]
                out[p + n + ".bias"] = [dv]
            }
            out[p + "attn.qkv.weight"] = [3 * dv, dv]
            out[p + "attn.qkv.bias"] = [3 * dv]
            out[p + "attn.proj.weight"] = [dv, dv]
            out[p + "attn.proj.bias"] = [dv]
            out[p + "mlp.linear_fc1.weight"] = [iv, dv]
            out[p + "mlp.linear_fc1.bias"] = [iv]
            out[p + "mlp.linear_fc2.weight"] = [dv, iv]
            out[p + "mlp.linear_fc2.bias"] = [dv]
        }
        func merger(_ p: String, norm: Int) {
            out[p + "norm.weight"] = [norm]
            out[p + "norm.bias"] = [norm]
            out[p + "linear_fc1.weight"] = [wide, wide]
            out[p + "linear_fc1.bias"] = [wide]
            out[p + "linear_fc2.weight"] = [v.outHiddenSize, wide]
            out[p + "linear_fc2.bias"] = [v.outHiddenSize]
        }
        merger(prefix + "merger.", norm: dv)
        for k in 0..<v.deepstackVisualIndexes.count { merger(prefix + "deepstack_merger_list.\(k).", norm: wide) }
        return out
    }

    /// Verifies `model.visual.*` strictly (missing, mis-shaped or undeclared tensors fail naming them; the text
    /// tensors belong to `TextWeights`), keeps bf16 block and merger matrices mapped (unless `keepBF16` is
    /// false) and reads every other tensor into float32 in parallel.
    public init(checkpoint: SafetensorsCheckpoint, configuration v: VisionConfiguration, keepBF16: Bool = true) throws {
        let declared = Self.declaredTensors(v)
        let others = Set(checkpoint.tensors.keys.filter { !$0.hasPrefix(Self.prefix) })
        try checkpoint.verify(declared: declared, tolerated: others)

        var mapped: [String: Weight] = [:]
        var matrices: [String: Matrix] = [:]
        for (name, shape) in declared {
            // Vectors are [1, n]; matrices [out, in]; the Conv3d kernel flattens to [Dv, C·Tp·P·P].
            let rows = shape.count >= 2 ? shape[0] : 1
            let cols = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : shape[0]
            if keepBF16, Self.keepsMapped(name), shape.count == 2, checkpoint.tensors[name]?.dtype == .bf16 {
                mapped[name] = Weight(bf16: try checkpoint.mappedBytes(name), rows: rows, cols: cols, owner: checkpoint)
            } else {
                matrices[name] = Matrix(rows: rows, cols: cols)
            }
        }
        self.checkpoint = try TextWeights.fill(matrices, from: checkpoint, keepingMapping: !mapped.isEmpty)

        func weight(_ name: String) throws -> Weight {
            if let w = mapped[Self.prefix + name] { return w }
            return Weight(try get(name))
        }
        func get(_ name: String) throws -> Matrix {
            guard let m = matrices[Self.prefix + name] else { throw ModelFormatsError.missingTensor(name: Self.prefix + name) }
            return m
        }
        func loadMerger(_ p: String, postShuffle: Bool) throws -> PatchMergerWeights {
            PatchMergerWeights(normWeight: try get(p + "norm.weight"), normBias: try get(p + "norm.bias"),
                               fc1: try weight(p + "linear_fc1.weight"), fc1Bias: try get(p + "linear_fc1.bias"),
                               fc2: try weight(p + "linear_fc2.weight"), fc2Bias: try get(p + "linear_fc2.bias"),
                               postShuffleNorm: postShuffle)
        }
        patchEmbed = try get("patch_embed.proj.weight")
        patchEmbedBias = try get("patch_embed.proj.bias")
        positionTable = try get("pos_embed.weight")
        blocks = try (0..<v.depth).map { i in
            let p = "blocks.\(i)."
            return VisionBlockWeights(
                norm1Weight: try get(p + "norm1.weight"), norm1Bias: try get(p + "norm1.bias"),
                qkv: try weight(p + "attn.qkv.weight"), qkvBias: try get(p + "attn.qkv.bias"),
                proj: try weight(p + "attn.proj.weight"), projBias: try get(p + "attn.proj.bias"),
                norm2Weight: try get(p + "norm2.weight"), norm2Bias: try get(p + "norm2.bias"),
                fc1: try weight(p + "mlp.linear_fc1.weight"), fc1Bias: try get(p + "mlp.linear_fc1.bias"),
                fc2: try weight(p + "mlp.linear_fc2.weight"), fc2Bias: try get(p + "mlp.linear_fc2.bias"))
        }
        merger = try loadMerger("merger.", postShuffle: false)
        deepstackMergers = try (0..<v.deepstackVisualIndexes.count).map {
            try loadMerger("deepstack_merger_list.\($0).", postShuffle: true)
        }
        byteCount = matrices.values.reduce(0) { $0 + $1.byteCount } + mapped.values.reduce(0) { $0 + $1.byteCount }
        bf16ScratchCount = min(mapped.values.map(\.count).max() ?? 0, 1 << 24)
    }

    /// Multiply-adds per patch in the linear layers (patch embedding, blocks, mergers; mergers run once per
    /// 4 patches). Attention over the image is extra: 2·N·Dv per patch per block.
    public var linearMACsPerPatch: Double {
        var perPatch = Double(patchEmbed.count)
        for b in blocks { perPatch += Double(b.qkv.count + b.proj.count + b.fc1.count + b.fc2.count) }
        for m in [merger] + deepstackMergers { perPatch += Double(m.fc1.count + m.fc2.count) / 4 }
        return perPatch
    }
}
