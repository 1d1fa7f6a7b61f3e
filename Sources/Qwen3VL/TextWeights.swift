// Qwen3VL: the text decoder's weights, declared with their shapes and loaded strictly.
// Key names from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLTextModel, Qwen3VLTextDecoderLayer,
// Qwen3VLTextAttention, Qwen3VLTextMLP) as saved by `save_pretrained`: `model.language_model.*`, `lm_head.weight`.
import Dispatch
import ModelFormats
import Tensors

/// Weights of one decoder layer. Matrices are `[out, in]` (y = x·Wᵀ); projections are `Weight`s (float32, or
/// bf16 read in place from the mapped checkpoint); norms and biases are always float32.
public struct DecoderLayerWeights {
    public let inputNorm: Matrix        // [1, D]
    public let qProj: Weight            // [Hq·hd, D]
    public let kProj: Weight            // [Hkv·hd, D]
    public let vProj: Weight            // [Hkv·hd, D]
    public let oProj: Weight            // [D, Hq·hd]
    public let qBias, kBias, vBias, oBias: Matrix?   // attention_bias: [1, out] each
    public let qNorm: Matrix            // [1, hd]
    public let kNorm: Matrix            // [1, hd]
    public let postAttentionNorm: Matrix // [1, D]
    public let gateProj: Weight         // [I, D]
    public let upProj: Weight           // [I, D]
    public let downProj: Weight         // [D, I]
}

/// All text-decoder weights. Projection matrices of a bf16 checkpoint stay bf16 in the memory mapping when
/// `keepBF16` (the default): half the memory and half the bytes per decode step. Everything else — norms,
/// biases, f16 and f32 tensors, or every tensor when `keepBF16` is false — is float32, widened once at load.
public final class TextWeights {
    public static let prefix = "model.language_model."
    /// Tensors under this prefix belong to the vision tower, which a later loader owns.
    public static let visionPrefix = "model.visual."
    public static let lmHeadName = "lm_head.weight"

    public let embedTokens: Weight      // [V, D]
    public let layers: [DecoderLayerWeights]
    public let finalNorm: Matrix        // [1, D]
    /// `[V, D]`; the same object as `embedTokens` when the head is tied.
    public let lmHead: Weight

    /// Bytes of weights held, float32 and bf16 (the tied head counted once).
    public let byteCount: Int
    /// Largest bf16 matrix (elements), capped: the scratch a multi-row product widens blocks into.
    public let bf16ScratchCount: Int
    /// Keeps the memory mapping alive while bf16 weights point into it.
    private let checkpoint: SafetensorsCheckpoint?

    /// Every tensor the text decoder needs, with its shape. Strict loading checks the checkpoint against this.
    public static func declaredTensors(_ c: TextConfiguration, tied: Bool) -> [String: [Int]] {
        let d = c.hiddenSize, hd = c.headDim, q = c.headCount * hd, kv = c.kvHeadCount * hd, i = c.intermediateSize
        var out: [String: [Int]] = [
            prefix + "embed_tokens.weight": [c.vocabSize, d],
            prefix + "norm.weight": [d],
        ]
        for l in 0..<c.layerCount {
            let p = prefix + "layers.\(l)."
            out[p + "input_layernorm.weight"] = [d]
            out[p + "post_attention_layernorm.weight"] = [d]
            out[p + "self_attn.q_proj.weight"] = [q, d]
            out[p + "self_attn.k_proj.weight"] = [kv, d]
            out[p + "self_attn.v_proj.weight"] = [kv, d]
            out[p + "self_attn.o_proj.weight"] = [d, q]
            out[p + "self_attn.q_norm.weight"] = [hd]
            out[p + "self_attn.k_norm.weight"] = [hd]
            if c.attentionBias {
                out[p + "self_attn.q_proj.bias"] = [q]
                out[p + "self_attn.k_proj.bias"] = [kv]
                out[p + "self_attn.v_proj.bias"] = [kv]
                out[p + "self_attn.o_proj.bias"] = [d]
            }
            out[p + "mlp.gate_proj.weight"] = [i, d]
            out[p + "mlp.up_proj.weight"] = [i, d]
            out[p + "mlp.down_proj.weight"] = [d, i]
        }
        if !tied { out[lmHeadName] = [c.vocabSize, d] }
        return out
    }

    /// Verifies the checkpoint strictly, then reads every declared tensor into float32 (in parallel over
    /// tensors), then lets the kernel drop the mapped file pages.
    ///
    /// Strictness: a missing, mis-shaped or undeclared tensor fails the load naming it. Two exceptions:
    /// `model.visual.*` (the vision tower, loaded by the vision encoder) and, for a tied head, an
    /// `lm_head.weight` some exporters write anyway (the reference ignores it when tied, so do we).
    public init(checkpoint: SafetensorsCheckpoint, configuration c: TextConfiguration, tied: Bool,
                keepBF16: Bool = true) throws {
        let declared = Self.declaredTensors(c, tied: tied)
        try checkpoint.verify(declared: declared, deferredPrefixes: [Self.visionPrefix],
                              tolerated: tied ? [Self.lmHeadName] : [])

        // bf16 matrices stay in the mapping; everything else gets a float32 matrix, filled concurrently.
        var mapped: [String: Weight] = [:]
        var matrices: [String: Matrix] = [:]
        for (name, shape) in declared {
            let rows = shape.count == 2 ? shape[0] : 1, cols = shape.last ?? 1
            if keepBF16, shape.count == 2, checkpoint.tensors[name]?.dtype == .bf16 {
                mapped[name] = Weight(bf16: try checkpoint.mappedBytes(name), rows: rows, cols: cols, owner: checkpoint)
            } else {
                matrices[name] = Matrix(rows: rows, cols: cols)
            }
        }
        self.checkpoint = try Self.fill(matrices, from: checkpoint, keepingMapping: !mapped.isEmpty)

        func matrix(_ name: String) throws -> Matrix {
            guard let m = matrices[name] else { throw ModelFormatsError.missingTensor(name: name) }
            return m
        }
        func weight(_ name: String) throws -> Weight {
            if let w = mapped[name] { return w }
            return Weight(try matrix(name))
        }
        embedTokens = try weight(Self.prefix + "embed_tokens.weight")
        finalNorm = try matrix(Self.prefix + "norm.weight")
        lmHead = tied ? embedTokens : try weight(Self.lmHeadName)
        layers = try (0..<c.layerCount).map { l in
            let p = Self.prefix + "layers.\(l)."
            return DecoderLayerWeights(
                inputNorm: try matrix(p + "input_layernorm.weight"),
                qProj: try weight(p + "self_attn.q_proj.weight"),
                kProj: try weight(p + "self_attn.k_proj.weight"),
                vProj: try weight(p + "self_attn.v_proj.weight"),
                oProj: try weight(p + "self_attn.o_proj.weight"),
                qBias: c.attentionBias ? try matrix(p + "self_attn.q_proj.bias") : nil,
                kBias: c.attentionBias ? try matrix(p + "self_attn.k_proj.bias") : nil,
                vBias: c.attentionBias ? try matrix(p + "self_attn.v_proj.bias") : nil,
                oBias: c.attentionBias ? try matrix(p + "self_attn.o_proj.bias") : nil,
                qNorm: try matrix(p + "self_attn.q_norm.weight"),
                kNorm: try matrix(p + "self_attn.k_norm.weight"),
                postAttentionNorm: try matrix(p + "post_attention_layernorm.weight"),
                gateProj: try weight(p + "mlp.gate_proj.weight"),
                upProj: try weight(p + "mlp.up_proj.weight"),
                downProj: try weight(p + "mlp.down_proj.weight"))
        }
        byteCount = matrices.values.reduce(0) { $0 + $1.byteCount } + mapped.values.reduce(0) { $0 + $1.byteCount }
        bf16ScratchCount = min(mapped.values.map(\.count).max() ?? 0, 1 << 24)
    }

    /// Bytes of weights one decode step streams from memory: every layer matrix plus the output head
    /// (the embedding row read is negligible). The decode roofline is this over memory bandwidth.
    public var bytesReadPerToken: Int {
        var total = lmHead.byteCount + finalNorm.byteCount
        for w in layers {
            for m in [w.qProj, w.kProj, w.vProj, w.oProj, w.gateProj, w.upProj, w.downProj] { total += m.byteCount }
            for m in [w.inputNorm, w.qNorm, w.kNorm, w.postAttentionNorm] { total += m.byteCount }
            for m in [w.qBias, w.kBias, w.vBias, w.oBias] { total += m?.byteCount ?? 0 }
        }
        return total
    }

    /// Multiply-adds per token in the linear layers (2 FLOPs each), excluding attention over the context.
    public var linearParameterCount: Int {
        var total = lmHead.count
        for w in layers {
            total += w.qProj.count + w.kProj.count + w.vProj.count + w.oProj.count
            total += w.gateProj.count + w.upProj.count + w.downProj.count
        }
        return total
    }
}

/// First error raised by any worker of a concurrent loop.
extension TextWeights {
    /// Reads every float32 matrix of `matrices` from `checkpoint` concurrently. Returns the checkpoint when
    /// bf16 weights still point into its mapping; otherwise everything was copied out, its pages are dropped
    /// and nil is returned.
    static func fill(_ matrices: [String: Matrix], from checkpoint: SafetensorsCheckpoint,
                     keepingMapping: Bool) throws -> SafetensorsCheckpoint? {
        let names = matrices.keys.sorted()
        let errorBox = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: names.count) { k in
            guard let m = matrices[names[k]] else { return }
            do { try checkpoint.readFloats(names[k], into: m.pointer) } catch { errorBox.set(error) }
        }
        if let error = errorBox.error { throw error }
        if keepingMapping { return checkpoint }
        checkpoint.dropPages()
        return nil
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = DispatchQueue(label: "understudy.qwen3vl.errorbox")
    private var stored: Error?
    func set(_ e: Error) { lock.sync { if stored == nil { stored = e } } }
    var error: Error? { lock.sync { stored } }
}
