// Qwen3VL: interleaved multimodal rotary embedding (MRoPE) of the text decoder.
// Ported from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLTextRotaryEmbedding,
// `apply_interleaved_mrope` in 4.57.1; `recomposition_frequencies` in 5.x). Reference notes §4.3.
import Foundation

/// Frequencies and axis assignment for interleaved MRoPE.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    /// `inv_freq[j] = θ^(−2j/hd)`, j < hd/2, computed in float32 like the reference.
    public let inverseFrequencies: [Float]
    /// Which position row drives frequency j: 0 = t, 1 = h, 2 = w.
    public let axisOfFrequency: [Int]

    public init(headDim: Int, theta: Double, mropeSection: [Int]) {
        self.headDim = headDim
        let half = headDim / 2
        // inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        inverseFrequencies = (0..<half).map { j in 1 / powf(Float(theta), Float(2 * j) / Float(headDim)) }
        // freqs_t[..., 1:3*s_h:3] = freqs_h ; freqs_t[..., 2:3*s_w:3] = freqs_w ; everything else stays t.
        let sh = mropeSection.count > 1 ? mropeSection[1] : 0
        let sw = mropeSection.count > 2 ? mropeSection[2] : 0
        axisOfFrequency = (0..<half).map { j in
            if j % 3 == 1 && j < 3 * sh { return 1 }
            if j % 3 == 2 && j < 3 * sw { return 2 }
            return 0
        }
    }

    /// Fills `cos`/`sin` rows `[count, hd/2]` for `positions` (both halves of HF's concatenated table are
    /// equal, so half a row suffices).
    public func fill(positions: PositionIDs, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        let half = headDim / 2
        for i in 0..<positions.count {
            let t = Float(positions.t[i]), h = Float(positions.h[i]), w = Float(positions.w[i])
            for j in 0..<half {
                let axis = axisOfFrequency[j]
                // freqs = inv_freq (fp32) @ position_ids (fp32): one fp32 product.
                let angle = (axis == 0 ? t : axis == 1 ? h : w) * inverseFrequencies[j]
                cos[i * half + j] = cosf(angle)
                sin[i * half + j] = sinf(angle)
            }
        }
    }
}
