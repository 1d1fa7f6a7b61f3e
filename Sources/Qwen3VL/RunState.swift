// Qwen3VL: every activation buffer of the text decoder, allocated once (llama2.c's RunState).
import Tensors

/// Scratch buffers for a forward pass over up to `batchCapacity` tokens at a time. Nothing is allocated
/// per token: prefill runs in chunks of `batchCapacity`, decode uses row 0.
public final class RunState {
    public let batchCapacity: Int
    let x: Matrix         // [B, D] residual stream
    let xn: Matrix        // [B, D] normed input of a sub-block
    let q: Matrix         // [B, Hq·hd]
    let k: Matrix         // [B, Hkv·hd]
    let v: Matrix         // [B, Hkv·hd]
    let attention: Matrix // [B, Hq·hd] concatenated head outputs
    let gate: Matrix      // [B, I]
    let up: Matrix        // [B, I]
    let scores: Matrix    // [B, contextCapacity] attention weights of one head
    let cos: Matrix       // [B, hd/2]
    let sin: Matrix       // [B, hd/2]
    /// `[B, V]` when every position's logits are wanted, else `[1, V]`.
    public let logits: Matrix
    /// Blocks of bf16 weight rows are widened here for multi-row products (empty for float32 models).
    let weightScratch: Matrix

    public init(configuration c: TextConfiguration, batchCapacity: Int, contextCapacity: Int, allPositionLogits: Bool,
                weightScratchCount: Int = 0) {
        let b = max(1, batchCapacity)
        self.batchCapacity = b
        x = Matrix(rows: b, cols: c.hiddenSize)
        xn = Matrix(rows: b, cols: c.hiddenSize)
        q = Matrix(rows: b, cols: c.headCount * c.headDim)
        k = Matrix(rows: b, cols: c.kvHeadCount * c.headDim)
        v = Matrix(rows: b, cols: c.kvHeadCount * c.headDim)
        attention = Matrix(rows: b, cols: c.headCount * c.headDim)
        gate = Matrix(rows: b, cols: c.intermediateSize)
        up = Matrix(rows: b, cols: c.intermediateSize)
        scores = Matrix(rows: b, cols: max(1, contextCapacity))
        cos = Matrix(rows: b, cols: c.headDim / 2)
        sin = Matrix(rows: b, cols: c.headDim / 2)
        logits = Matrix(rows: allPositionLogits ? b : 1, cols: c.vocabSize)
        weightScratch = Matrix(rows: 1, cols: weightScratchCount)
    }

    public var byteCount: Int {
        [x, xn, q, k, v, attention, gate, up, scores, cos, sin, logits, weightScratch].reduce(0) { $0 + $1.byteCount }
    }
}
