// Tensors: the one wrapper over OpenBLAS. Every matrix product in the engine goes through here.
import COpenBLAS

/// Matrix products. Convention, fixed once for the whole engine: checkpoint weights are stored
/// `[out, in]` (PyTorch `nn.Linear`), so a linear layer is `y[M, out] = x[M, in] · W[out, in]ᵀ`.
///
/// This is the single hot spot of inference. Several rows (prefill) use `cblas_sgemm` with the weight
/// transposed; one row (decode) uses `cblas_sgemv`, because a one-row sgemm runs ~3× slower than
/// sgemv in OpenBLAS on the machines measured (it packs the whole weight for one row).
public enum BLAS {
    /// Sets OpenBLAS's thread count (call once at start-up with the core count).
    public static func setThreadCount(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Threads OpenBLAS will use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// `y[m, n] = x[m, k] · w[n, k]ᵀ` (+ `y` when `accumulate`). Row-major, contiguous.
    /// One row goes through gemv, several through gemm.
    @inline(__always)
    public static func linear(_ x: UnsafePointer<Float>, rows m: Int, weight w: UnsafePointer<Float>,
                              outFeatures n: Int, inFeatures k: Int,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if m == 1 {
            gemv(w, rows: n, cols: k, x, into: y, accumulate: accumulate)
        } else {
            gemm(x, rows: m, weight: w, outFeatures: n, inFeatures: k, into: y, accumulate: accumulate)
        }
    }

    /// `y[m, n] = x[m, k] · w[n, k]ᵀ` (+ `y` when `accumulate`) through `cblas_sgemm`.
    public static func gemm(_ x: UnsafePointer<Float>, rows m: Int, weight w: UnsafePointer<Float>,
                            outFeatures n: Int, inFeatures k: Int,
                            into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        gemm(transposeB: true, m: m, n: n, k: k, a: x, lda: k, b: w, ldb: k, c: y, ldc: n,
             alpha: 1, beta: accumulate ? 1 : 0)
    }

    /// `y[n] = w[n, k] · x[k]` (+ `y` when `accumulate`) through `cblas_sgemv`.
    public static func gemv(_ w: UnsafePointer<Float>, rows n: Int, cols k: Int, _ x: UnsafePointer<Float>,
                            into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, w, Int32(k), x, 1,
                    accumulate ? 1 : 0, y, 1)
    }

    /// General strided row-major product `C[m, n] = alpha · A[m, k] · op(B) + beta · C`, where
    /// `op(B)` is `B[n, k]ᵀ` when `transposeB`, else `B[k, n]`. Used by attention, whose heads are
    /// strided views into the q/k/v rows.
    public static func gemm(transposeB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Strided row-major matrix–vector product `y = alpha · op(A) · x + beta · y`, with `A` `[m, n]`
    /// (leading dimension `lda`), `op(A)` = `Aᵀ` when `transpose`. Used by decode-time attention over
    /// one head of the KV cache.
    public static func gemv(transpose: Bool, m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                            alpha: Float = 1, beta: Float = 0) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, 1, beta, y, 1)
    }
}
