// Tensors: the two GELUs of the Qwen3-VL vision tower.
// transformers `activations.py`: `gelu_pytorch_tanh` (PytorchGELUTanh, the ViT MLP) and `nn.GELU()` (exact erf,
// the patch mergers). Reference notes §3 steps 5 and 7, gotcha §9.2.12.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// In place: `x = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` for `n` entries.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, n: Int) {
        let c: Float = 0.7978845608028654   // sqrt(2 / pi)
        for i in 0..<n {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// In place: `x = 0.5·x·(1 + erf(x / √2))` for `n` entries.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, n: Int) {
        let invSqrt2: Float = 0.7071067811865476
        for i in 0..<n {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erff(v * invSqrt2))
        }
    }
}
