// Tensors: linear layers on `Weight`, float32 or bf16. Still the one place matrix products happen.
import Dispatch

extension BLAS {
    /// `y[m, n] = x[m, k] · Wᵀ` (+ `y` when `accumulate`) for a `Weight` `[n, k]`.
    /// float32 weights: sgemv / sgemm directly. bf16 weights: one row → `gemvBF16` (widening in registers,
    /// split over the BLAS threads); several rows → widen blocks of weight rows into `scratch`
    /// (`scratchCount` floats) and sgemm each block into its columns of `y`.
    public static func linear(_ x: UnsafePointer<Float>, rows m: Int, weight w: Weight,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
                              scratch: UnsafeMutablePointer<Float>?, scratchCount: Int) {
        let n = w.rows, k = w.cols
        switch w.storage {
        case let .f32(p):
            linear(x, rows: m, weight: p, outFeatures: n, inFeatures: k, into: y, accumulate: accumulate)
        case let .bf16(bits):
            if m == 1 {
                gemvBF16(bits, rows: n, cols: k, x, into: y, accumulate: accumulate)
                return
            }
            // Widening costs ~10 bytes of traffic per weight (read 2, write 4, sgemm reads 4); a bf16 gemv per
            // input row costs 2 per row. Below 5 rows the gemvs are cheaper; so is having no scratch at all.
            guard let scratch, scratchCount >= k, m > 4 else {
                for i in 0..<m { gemvBF16(bits, rows: n, cols: k, x + i * k, into: y + i * n, accumulate: accumulate) }
                return
            }
            let blockRows = min(n, scratchCount / k)
            var start = 0
            while start < n {
                let count = min(blockRows, n - start)
                widenBF16Parallel(bits + 2 * start * k, count: count * k, into: scratch)
                // y[:, start ..< start+count] = x · block[count, k]ᵀ
                gemm(transposeB: true, m: m, n: count, k: k, a: x, lda: k, b: scratch, ldb: k,
                     c: y + start, ldc: n, alpha: 1, beta: accumulate ? 1 : 0)
                start += count
            }
        }
    }

    /// `y[n] = W[n, k] · x[k]` (+ `y`) with `W` in bf16, widened in registers. Memory-bound: reads 2 bytes per
    /// weight instead of 4. Rows are split across `threadCount` workers for large matrices.
    public static func gemvBF16(_ w: UnsafeRawPointer, rows n: Int, cols k: Int, _ x: UnsafePointer<Float>,
                                into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let workers = n * k >= 1 << 16 ? max(1, min(threadCount, n)) : 1
        if workers == 1 {
            gemvBF16Rows(w, rowRange: 0..<n, cols: k, x, y, accumulate)
            return
        }
        let per = (n + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lo = t * per, hi = min(n, lo + per)
            if lo < hi { gemvBF16Rows(w, rowRange: lo..<hi, cols: k, x, y, accumulate) }
        }
    }

    @inline(__always)
    private static func gemvBF16Rows(_ w: UnsafeRawPointer, rowRange: Range<Int>, cols k: Int,
                                     _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let xr = UnsafeRawPointer(x)
        let vectorEnd = k & ~15
        for r in rowRange {
            let row = w + 2 * r * k
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            var j = 0
            while j < vectorEnd {
                let b0 = row.loadUnaligned(fromByteOffset: 2 * j, as: SIMD8<UInt16>.self)
                let b1 = row.loadUnaligned(fromByteOffset: 2 * j + 16, as: SIMD8<UInt16>.self)
                // bf16 → f32: the bits are the top half of the float.
                let f0 = unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: b0) &<< 16, to: SIMD8<Float>.self)
                let f1 = unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: b1) &<< 16, to: SIMD8<Float>.self)
                // Multiply then add, not `addProduct`: the package builds for baseline x86-64 (no FMA target
                // feature), where a vector FMA becomes one libm `fmaf` call per lane (measured 30× slower).
                a0 += f0 * xr.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                a1 += f1 * xr.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
                j += 16
            }
            var sum = (a0 + a1).sum()
            while j < k {
                sum += Float16Conversion.bf16ToFloat(row.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) * x[j]
                j += 1
            }
            y[r] = accumulate ? y[r] + sum : sum
        }
    }

    /// Widens `count` bf16 values, split across the BLAS threads when large.
    static func widenBF16Parallel(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        let workers = count >= 1 << 18 ? max(1, threadCount) : 1
        let per = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lo = t * per, hi = min(count, lo + per)
            if lo < hi { Float16Conversion.convertBF16(source + 2 * lo, count: hi - lo, into: destination + lo) }
        }
    }
}
