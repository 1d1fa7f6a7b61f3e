// Tensors: splitting row-wise kernels across cores. The matrix products already use every core through
// OpenBLAS; the row kernels between them (softmax over long attention rows, GELU, LayerNorm) would otherwise
// run on one, which is what kept the vision tower far below the sgemm peak.
import Dispatch

public enum ParallelRows {
    /// Calls `body` on disjoint ranges covering `0..<rows`, concurrently on up to `BLAS.threadCount` threads,
    /// each range at least `minimumRows` long (small jobs run inline).
    public static func forEach(_ rows: Int, minimumRows: Int = 32, _ body: (Range<Int>) -> Void) {
        let tasks = max(1, min(BLAS.threadCount, rows / max(1, minimumRows)))
        if tasks == 1 {
            body(0..<rows)
            return
        }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            body((rows * t / tasks)..<(rows * (t + 1) / tasks))
        }
    }
}
