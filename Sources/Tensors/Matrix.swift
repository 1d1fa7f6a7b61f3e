// Tensors: an owned float32 buffer with a row-major [rows, cols] shape.

/// An owned, 64-byte-aligned float32 matrix, row-major `[rows, cols]`.
///
/// A class, not a struct: weights and activations are allocated once at set-up and then written in
/// place by the kernels through `pointer`; copying them would defeat the point.
public final class Matrix {
    public let rows: Int
    public let cols: Int
    public let pointer: UnsafeMutablePointer<Float>

    public var count: Int { rows * cols }

    /// Allocates `rows × cols` floats, zero-filled.
    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        let n = max(rows * cols, 1)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: n)
        pointer.initialize(repeating: 0, count: n)
    }

    /// Copies `values` (row-major) into a new matrix.
    public convenience init(rows: Int, cols: Int, values: [Float]) throws {
        guard values.count == rows * cols else {
            throw TensorsError.shapeMismatch(operation: "Matrix.init", expected: "[\(rows), \(cols)]",
                                             actual: "\(values.count) values")
        }
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Pointer to the first element of `row`.
    @inline(__always) public func row(_ row: Int) -> UnsafeMutablePointer<Float> { pointer + row * cols }

    /// A copy of the contents as an array (tests and small outputs).
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// A copy of one row.

    /// Bytes held.
    public var byteCount: Int { count * MemoryLayout<Float>.stride }
}
