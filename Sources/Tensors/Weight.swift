// Tensors: a weight matrix as the engine reads it — float32, or bfloat16 left in the memory-mapped checkpoint.

/// A `[rows, cols]` weight (`[out, in]`). bf16 weights stay where the checkpoint mapping put them: half the
/// resident memory of float32, no load-time conversion, and half the bytes per decode step — decode is
/// memory-bound, so that halves its time. Products on bf16 weights go through `BLAS.linear(_:rows:weight:…)`,
/// which widens on the fly (gemv) or block by block into a scratch buffer (gemm).
public final class Weight {
    public enum Storage {
        case f32(UnsafePointer<Float>)
        /// Little-endian bf16 bit patterns, row-major, any alignment.
        case bf16(UnsafeRawPointer)
    }

    public let rows: Int
    public let cols: Int
    public let storage: Storage
    /// Keeps the memory behind `storage` alive (a `Matrix` or the mapped checkpoint).
    private let owner: AnyObject

    public init(_ matrix: Matrix) {
        rows = matrix.rows
        cols = matrix.cols
        storage = .f32(UnsafePointer(matrix.pointer))
        owner = matrix
    }

    /// Wraps bf16 bits at `bits` (which must hold `rows × cols` values and stay valid while `owner` lives).
    public init(bf16 bits: UnsafeRawPointer, rows: Int, cols: Int, owner: AnyObject) {
        self.rows = rows
        self.cols = cols
        storage = .bf16(bits)
        self.owner = owner
    }

    public var count: Int { rows * cols }

    /// Bytes a full pass over this weight reads.
    public var byteCount: Int {
        switch storage {
        case .f32: return count * 4
        case .bf16: return count * 2
        }
    }

    public var isBF16: Bool { if case .bf16 = storage { return true } else { return false } }

    /// Row `r` as float32 into `destination` (embedding lookup).
    public func copyRow(_ r: Int, into destination: UnsafeMutablePointer<Float>) {
        switch storage {
        case let .f32(p): destination.update(from: p + r * cols, count: cols)
        case let .bf16(p): Float16Conversion.convertBF16(p + 2 * r * cols, count: cols, into: destination)
        }
    }
}
