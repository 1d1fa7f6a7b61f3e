// Qwen3VL: the text decoder forward pass (Qwen3 blocks with interleaved MRoPE).
// Ported from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLTextModel, Qwen3VLTextDecoderLayer,
// Qwen3VLTextAttention, Qwen3VLTextMLP, Qwen3VLTextRMSNorm); reference notes §4.2.
//
// Dimensions: T tokens in this chunk, P = positions already cached, D hidden, Hq query heads, Hkv key/value
// heads, hd head dim, I intermediate, V vocabulary. Matrices are row-major; weights [out, in].
import Tensors

/// Runs the decoder over a KV cache. Prefill processes the prompt in chunks through sgemm; decode runs one
/// token through gemv. Weights are shared; cache and scratch belong to this decoder (one sequence).
public final class TextDecoder {
    public let configuration: TextConfiguration
    public let weights: TextWeights
    public let rope: RotaryEmbedding
    public let cache: KVCache
    public let state: RunState
    /// Added to the cache index to get the MRoPE position of a generated token: 0 for text-only prompts,
    /// (max position + 1 − prompt length) after image blocks (reference notes §4.4).
    public var ropeDelta = 0

    public init(configuration: TextConfiguration, weights: TextWeights, contextCapacity: Int,
                batchCapacity: Int = 256, allPositionLogits: Bool = false) {
        self.configuration = configuration
        self.weights = weights
        rope = RotaryEmbedding(headDim: configuration.headDim, theta: configuration.ropeTheta,
                               mropeSection: configuration.mropeSection)
        cache = KVCache(configuration: configuration, capacity: contextCapacity)
        state = RunState(configuration: configuration, batchCapacity: min(batchCapacity, max(contextCapacity, 1)),
                         contextCapacity: contextCapacity, allPositionLogits: allPositionLogits,
                         weightScratchCount: weights.bf16ScratchCount)
    }

    /// Starts a new sequence (keeps every allocation).
    public func reset() {
        cache.reset()
        ropeDelta = 0
    }

    /// Runs `tokens` after whatever is cached and returns the logits of the last one `[V]`
    /// (valid while this decoder lives and until its next call). `positions` defaults to text positions continuing the cache.
    @discardableResult
    public func prefill(_ tokens: [Int], positions: PositionIDs? = nil) throws -> UnsafeMutableBufferPointer<Float> {
        guard !tokens.isEmpty else { throw Qwen3VLError.emptyPrompt }
        let positions = positions ?? .text(start: cache.length + ropeDelta, count: tokens.count)
        try checkFits(tokens)
        var start = 0
        while start < tokens.count {
            let end = min(start + state.batchCapacity, tokens.count)
            try forward(Array(tokens[start..<end]), positions: positions.slice(start..<end),
                        allLogits: false, wantLogits: end == tokens.count)
            start = end
        }
        return UnsafeMutableBufferPointer(start: state.logits.pointer, count: configuration.vocabSize)
    }

    /// Logits at every position of `tokens` (run after whatever is cached), row-major `[T, V]`.
    /// Needs a decoder made with `allPositionLogits: true`.
    public func logitsForAllPositions(_ tokens: [Int]) throws -> [Float] {
        guard !tokens.isEmpty else { throw Qwen3VLError.emptyPrompt }
        // A state without all-position logits can only give each chunk's last row: refuse before touching the cache.
        guard state.logits.rows >= min(tokens.count, state.batchCapacity) else {
            throw Qwen3VLError.allPositionLogitsNotAllocated
        }
        try checkFits(tokens)
        let v = configuration.vocabSize
        let positions = PositionIDs.text(start: cache.length + ropeDelta, count: tokens.count)
        var out = [Float]()
        out.reserveCapacity(tokens.count * v)
        var start = 0
        while start < tokens.count {
            let end = min(start + state.batchCapacity, tokens.count)
            try forward(Array(tokens[start..<end]), positions: positions.slice(start..<end), allLogits: true, wantLogits: true)
            out.append(contentsOf: UnsafeBufferPointer(start: state.logits.pointer, count: (end - start) * v))
            start = end
        }
        return out
    }

    /// Runs one generated token and returns the next-token logits `[V]` (valid until the next call).
    @discardableResult
    public func decode(_ token: Int) throws -> UnsafeMutableBufferPointer<Float> {
        try checkFits([token])
        try forward([token], positions: .text(start: cache.length + ropeDelta, count: 1), allLogits: false, wantLogits: true)
        return UnsafeMutableBufferPointer(start: state.logits.pointer, count: configuration.vocabSize)
    }

    private func checkFits(_ tokens: [Int]) throws {
        guard cache.length + tokens.count <= cache.capacity else {
            throw Qwen3VLError.contextFull(position: cache.length, tokens: tokens.count, capacity: cache.capacity)
        }
        for t in tokens where t < 0 || t >= configuration.vocabSize {
            throw Qwen3VLError.tokenOutOfRange(token: t, vocabularySize: configuration.vocabSize)
        }
    }

    /// One chunk of `T ≤ batchCapacity` tokens at cache positions `P ..< P+T`.
    private func forward(_ tokens: [Int], positions: PositionIDs, allLogits: Bool, wantLogits: Bool) throws {
        let c = configuration
        let T = tokens.count, P = cache.length
        let D = c.hiddenSize, hd = c.headDim, Hq = c.headCount, Hkv = c.kvHeadCount, I = c.intermediateSize
        let qWidth = Hq * hd, kvWidth = Hkv * hd, group = c.groupSize
        let eps = Float(c.rmsNormEps)
        let s = state

        // h0 = embed_tokens[input_ids]                                       // [T, D]
        for (i, token) in tokens.enumerated() {
            weights.embedTokens.copyRow(token, into: s.x.row(i))
        }
        rope.fill(positions: positions, cos: s.cos.pointer, sin: s.sin.pointer)   // [T, hd/2] each

        for (l, w) in weights.layers.enumerated() {
            // --- attention block ---
            Kernels.rmsNorm(s.x.pointer, rows: T, n: D, weight: w.inputNorm.pointer, eps: eps, into: s.xn.pointer)
            linear(s.xn.pointer, rows: T, w.qProj, into: s.q.pointer)
            linear(s.xn.pointer, rows: T, w.kProj, into: s.k.pointer)
            linear(s.xn.pointer, rows: T, w.vProj, into: s.v.pointer)
            if let b = w.qBias { Kernels.addBias(b.pointer, rows: T, n: qWidth, into: s.q.pointer) }
            if let b = w.kBias { Kernels.addBias(b.pointer, rows: T, n: kvWidth, into: s.k.pointer) }
            if let b = w.vBias { Kernels.addBias(b.pointer, rows: T, n: kvWidth, into: s.v.pointer) }
            // q/k RMSNorm over head_dim, before RoPE: views [T·Hq, hd] and [T·Hkv, hd].
            Kernels.rmsNorm(s.q.pointer, rows: T * Hq, n: hd, weight: w.qNorm.pointer, eps: eps, into: s.q.pointer)
            Kernels.rmsNorm(s.k.pointer, rows: T * Hkv, n: hd, weight: w.kNorm.pointer, eps: eps, into: s.k.pointer)
            for i in 0..<T {
                let cosRow = s.cos.row(i), sinRow = s.sin.row(i)
                for h in 0..<Hq { Kernels.rotateHalf(s.q.row(i) + h * hd, headDim: hd, cos: cosRow, sin: sinRow) }
                for h in 0..<Hkv { Kernels.rotateHalf(s.k.row(i) + h * hd, headDim: hd, cos: cosRow, sin: sinRow) }
                cache.keys[l].row(P + i).update(from: s.k.row(i), count: kvWidth)
                cache.values[l].row(P + i).update(from: s.v.row(i), count: kvWidth)
            }
            attend(layer: l, tokens: T, cached: P, headDim: hd, queryHeads: Hq, group: group, kvWidth: kvWidth)
            // h = r + o_proj(attn)                                           // [T, D]
            linear(s.attention.pointer, rows: T, w.oProj, into: s.x.pointer, accumulate: true)
            if let b = w.oBias { Kernels.addBias(b.pointer, rows: T, n: D, into: s.x.pointer) }

            // --- MLP block: h = r + down(silu(gate(x)) * up(x)) ---
            Kernels.rmsNorm(s.x.pointer, rows: T, n: D, weight: w.postAttentionNorm.pointer, eps: eps, into: s.xn.pointer)
            linear(s.xn.pointer, rows: T, w.gateProj, into: s.gate.pointer)
            linear(s.xn.pointer, rows: T, w.upProj, into: s.up.pointer)
            Kernels.siluMultiply(s.gate.pointer, s.up.pointer, n: T * I)        // [T, I]
            linear(s.gate.pointer, rows: T, w.downProj, into: s.x.pointer, accumulate: true)
        }
        cache.length = P + T

        guard wantLogits else { return }
        // logits = RMSNorm(h) · lm_headᵀ, V = vocabulary size.
        if allLogits {
            Kernels.rmsNorm(s.x.pointer, rows: T, n: D, weight: weights.finalNorm.pointer, eps: eps, into: s.xn.pointer)
            linear(s.xn.pointer, rows: T, weights.lmHead, into: s.logits.pointer)         // [T, V]
        } else {
            Kernels.rmsNorm(s.x.row(T - 1), rows: 1, n: D, weight: weights.finalNorm.pointer, eps: eps, into: s.xn.pointer)
            linear(s.xn.pointer, rows: 1, weights.lmHead, into: s.logits.pointer)         // [V]
        }
    }

    /// `y = x·Wᵀ` through the one BLAS wrapper, with this decoder's scratch for bf16 weights.
    @inline(__always)
    private func linear(_ x: UnsafePointer<Float>, rows: Int, _ w: Weight, into y: UnsafeMutablePointer<Float>,
                        accumulate: Bool = false) {
        BLAS.linear(x, rows: rows, weight: w, into: y, accumulate: accumulate,
                    scratch: state.weightScratch.pointer, scratchCount: state.weightScratch.count)
    }

    /// Causal grouped-query attention of the chunk's queries over every cached position.
    /// Query head h reads key/value head h / group. Heads are strided views: q rows are [Hq·hd],
    /// cache rows [Hkv·hd].
    private func attend(layer l: Int, tokens T: Int, cached P: Int, headDim hd: Int, queryHeads Hq: Int,
                        group: Int, kvWidth: Int) {
        let s = state
        let qWidth = Hq * hd
        let keys = cache.keys[l].pointer, values = cache.values[l].pointer
        let total = P + T
        // attn_weights = q·kᵀ · head_dim^-0.5
        let scale = 1 / Float(hd).squareRoot()
        for h in 0..<Hq {
            let kHead = keys + (h / group) * hd
            let vHead = values + (h / group) * hd
            let qHead = s.q.pointer + h * hd
            let outHead = s.attention.pointer + h * hd
            if T == 1 {
                // Decode: two gemv over the cache. scores[P+1] = K_g[P+1, hd] · q ; out[hd] = V_gᵀ · p
                BLAS.gemv(transpose: false, m: total, n: hd, a: kHead, lda: kvWidth, x: qHead, y: s.scores.pointer, alpha: scale)
                Kernels.softmax(s.scores.pointer, n: total)
                BLAS.gemv(transpose: true, m: total, n: hd, a: vHead, lda: kvWidth, x: s.scores.pointer, y: outHead)
            } else {
                // Prefill: scores[T, P+T] = Q_h · K_gᵀ, causal mask, softmax, then [T, hd] = P · V_g.
                BLAS.gemm(transposeB: true, m: T, n: total, k: hd, a: qHead, lda: qWidth, b: kHead, ldb: kvWidth,
                          c: s.scores.pointer, ldc: total, alpha: scale)
                for i in 0..<T {
                    let row = s.scores.pointer + i * total
                    let visible = P + i + 1
                    Kernels.softmax(row, n: visible)
                    if visible < total { (row + visible).update(repeating: 0, count: total - visible) }
                }
                BLAS.gemm(transposeB: false, m: T, n: hd, k: total, a: s.scores.pointer, lda: total, b: vHead,
                          ldb: kvWidth, c: outHead, ldc: qWidth)
            }
        }
    }
}
