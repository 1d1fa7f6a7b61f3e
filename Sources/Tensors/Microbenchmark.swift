// Tensors: measurements of this machine's limits, so benchmarks can report achieved/peak ratios
// from the same run.
import Dispatch

/// Peak numbers measured on the spot.
public enum Microbenchmark {
    /// Best-of-`repeats` sgemm throughput in GFLOP/s for a square `n × n × n` product through `BLAS`.
    public static func sgemmGFLOPS(n: Int = 1024, repeats: Int = 5) -> Double {
        let a = Matrix(rows: n, cols: n), b = Matrix(rows: n, cols: n), c = Matrix(rows: n, cols: n)
        for i in 0..<(n * n) {
            a.pointer[i] = Float(i % 7) * 0.01
            b.pointer[i] = Float(i % 5) * 0.01
        }
        BLAS.gemm(a.pointer, rows: n, weight: b.pointer, outFeatures: n, inFeatures: n, into: c.pointer)  // warm-up
        var best = Double.infinity
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.gemm(a.pointer, rows: n, weight: b.pointer, outFeatures: n, inFeatures: n, into: c.pointer)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }

    /// Best-of-`repeats` read bandwidth in GB/s: `threads` workers sum disjoint slices of a buffer of
    /// `megabytes` (far larger than the caches). Reading is what decode does to the weights.
    public static func streamReadGBps(megabytes: Int = 512, threads: Int, repeats: Int = 3) -> Double {
        let count = megabytes * (1 << 20) / 4
        let buffer = Matrix(rows: 1, cols: count)
        for i in stride(from: 0, to: count, by: 1024) { buffer.pointer[i] = 1 }   // touch every page
        let workers = max(1, threads)
        let slice = count / workers
        let sums = Matrix(rows: 1, cols: workers)
        var best = Double.infinity
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let p = buffer.pointer + w * slice
                var s0: SIMD8<Float> = .zero, s1: SIMD8<Float> = .zero
                let raw = UnsafeRawPointer(p)
                var i = 0
                while i + 16 <= slice {
                    s0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    s1 += raw.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                    i += 16
                }
                sums.pointer[w] = (s0 + s1).sum()
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return Double(slice * workers * 4) / best / 1e9
    }
}
