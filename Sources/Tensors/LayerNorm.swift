// Tensors: LayerNorm (with bias) for the vision tower.
// Formula of `torch.nn.LayerNorm` (biased variance, eps inside the square root), as used by transformers
// `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLVisionBlock norm1/norm2, Qwen3VLVisionPatchMerger.norm).

extension Kernels {
    /// LayerNorm over each of `rows` rows of length `n`: `y = (x − mean) / sqrt(var + eps) · w + b`.
    /// Two passes in Float (mean, then centred variance) like the fp32 reference. `x` and `y` may alias.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, n: Int, weight: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>, eps: Float, into y: UnsafeMutablePointer<Float>) {
        let invN = 1 / Float(n)
        for r in 0..<rows {
            let xr = x + r * n
            let yr = y + r * n
            var sum: Float = 0
            for i in 0..<n { sum += xr[i] }
            let mean = sum * invN
            var squares: Float = 0
            for i in 0..<n {
                let d = xr[i] - mean
                squares += d * d
            }
            let scale = 1 / (squares * invN + eps).squareRoot()
            for i in 0..<n { yr[i] = (xr[i] - mean) * scale * weight[i] + bias[i] }
        }
    }
}
