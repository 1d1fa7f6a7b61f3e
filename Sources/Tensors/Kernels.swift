// Tensors: element-wise and row-wise kernels of transformer inference.
// Formulas follow transformers (`models/qwen3/modeling_qwen3.py`: Qwen3RMSNorm, rotate_half, silu MLP).

/// Row-wise kernels on contiguous float32 rows. All accumulate in Float like the fp32 reference.
public enum Kernels {
    /// RMSNorm over each of `rows` rows of length `n`: `y = x / sqrt(mean(x²) + eps) · w`.
    /// `x` and `y` may alias.
    /// Reference: `hidden * torch.rsqrt(hidden.pow(2).mean(-1, keepdim=True) + eps)`, then `weight * hidden`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, rows: Int, n: Int, weight: UnsafePointer<Float>,
                               eps: Float, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * n
            let yr = y + r * n
            var sum: Float = 0
            for i in 0..<n { sum += xr[i] * xr[i] }
            let scale = 1 / (sum / Float(n) + eps).squareRoot()
            for i in 0..<n { yr[i] = weight[i] * (xr[i] * scale) }
        }
    }

    /// `gate[i] = silu(gate[i]) · up[i]` for `n` entries (the SwiGLU product), in place in `gate`.
    public static func siluMultiply(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
        for i in 0..<n {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `y[i] += x[i]` for `n` entries.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// Adds the same `bias[n]` to each of `rows` rows.
    public static func addBias(_ bias: UnsafePointer<Float>, rows: Int, n: Int, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { add(bias, into: y + r * n, n: n) }
    }

    /// Rotary embedding with rotate-half pairing `(d, d + headDim/2)` on one head vector:
    /// `x' = x·cos + rotate_half(x)·sin`, `rotate_half(x) = [−x[h/2:], x[:h/2]]`.
    /// `cos`/`sin` hold `headDim/2` values (the two halves of HF's concatenated table are equal).
    @inline(__always)
    public static func rotateHalf(_ x: UnsafeMutablePointer<Float>, headDim: Int,
                                  cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = headDim / 2
        for j in 0..<half {
            let a = x[j], b = x[j + half]
            x[j] = a * cos[j] - b * sin[j]
            x[j + half] = b * cos[j] + a * sin[j]
        }
    }

    /// Index of the largest of `n` values (the first on ties, like `torch.argmax`).
    public static func argmax(_ x: UnsafePointer<Float>, n: Int) -> Int {
        guard n > 0 else { return 0 }
        var best = 0
        var value = x[0]
        for i in 1..<max(n, 1) where x[i] > value {
            value = x[i]
            best = i
        }
        return best
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
