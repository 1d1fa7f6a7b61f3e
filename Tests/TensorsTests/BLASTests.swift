// Checks the BLAS wrapper against a naive reference matrix product.
import XCTest
@testable import Tensors

final class BLASTests: XCTestCase {
    /// The reference: y[m, n] = Σ_k x[m, k] · w[n, k], accumulated in Double.
    static func naiveLinear(_ x: [Float], rows m: Int, _ w: [Float], out n: Int, in k: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<k { s += Double(x[i * k + t]) * Double(w[j * k + t]) }
                y[i * n + j] = Float(s)
            }
        }
        return y
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
        }
    }

    func check(m: Int, n: Int, k: Int, accumulate: Bool) throws {
        let x = Self.random(m * k, seed: 1), w = Self.random(n * k, seed: 2), y0 = Self.random(m * n, seed: 3)
        let xm = try Matrix(rows: m, cols: k, values: x), wm = try Matrix(rows: n, cols: k, values: w)
        let ym = try Matrix(rows: m, cols: n, values: accumulate ? y0 : [Float](repeating: 0, count: m * n))
        BLAS.linear(xm.pointer, rows: m, weight: wm.pointer, outFeatures: n, inFeatures: k, into: ym.pointer,
                    accumulate: accumulate)
        var expected = Self.naiveLinear(x, rows: m, w, out: n, in: k)
        if accumulate { for i in expected.indices { expected[i] += y0[i] } }
        let delta = zip(ym.toArray(), expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(delta, 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) accumulate=\(accumulate)")
    }

    func testGemmMatchesNaiveProduct() throws {
        try check(m: 7, n: 13, k: 33, accumulate: false)
        try check(m: 64, n: 96, k: 48, accumulate: true)
    }

    func testSingleRowGoesThroughGemvAndMatches() throws {
        try check(m: 1, n: 50, k: 70, accumulate: false)
        try check(m: 1, n: 17, k: 5, accumulate: true)
    }

    func testStridedGemvBothOrientations() {
        // A [3, 2] inside rows of width 4.
        let a: [Float] = [1, 2, 9, 9, 3, 4, 9, 9, 5, 6, 9, 9]
        var y = [Float](repeating: 0, count: 3)
        BLAS.gemv(transpose: false, m: 3, n: 2, a: a, lda: 4, x: [1, 10], y: &y)
        XCTAssertEqual(y, [21, 43, 65])
        var z = [Float](repeating: 0, count: 2)
        BLAS.gemv(transpose: true, m: 3, n: 2, a: a, lda: 4, x: [1, 1, 1], y: &z)
        XCTAssertEqual(z, [9, 12])
    }
}

final class BF16LinearTests: XCTestCase {
    /// bf16 bits of `values` (round toward zero: any bf16 is fine here, the reference uses the same bits).
    static func bits(_ values: [Float]) -> [UInt16] { values.map { UInt16($0.bitPattern >> 16) } }

    func check(m: Int, n: Int, k: Int, scratchCount: Int, accumulate: Bool) throws {
        let x = BLASTests.random(m * k, seed: 5)
        let raw = BLASTests.random(n * k, seed: 6)
        let b = Self.bits(raw)
        let widened = b.map { Float16Conversion.bf16ToFloat($0) }
        let y0 = BLASTests.random(m * n, seed: 7)
        var expected = BLASTests.naiveLinear(x, rows: m, widened, out: n, in: k)
        if accumulate { for i in expected.indices { expected[i] += y0[i] } }
        let y = try Matrix(rows: m, cols: n, values: accumulate ? y0 : [Float](repeating: 0, count: m * n))
        let scratch = Matrix(rows: 1, cols: scratchCount)
        b.withUnsafeBytes { raw in
            let owner = Matrix(rows: 1, cols: 1)
            let w = Weight(bf16: raw.baseAddress!, rows: n, cols: k, owner: owner)
            BLAS.linear(x, rows: m, weight: w, into: y.pointer, accumulate: accumulate,
                        scratch: scratch.pointer, scratchCount: scratchCount)
        }
        let delta = zip(y.toArray(), expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(delta, 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k)")
    }

    func testGemvOnBF16WeightsMatchesNaive() throws {
        try check(m: 1, n: 37, k: 45, scratchCount: 0, accumulate: false)   // vector body + scalar tail
        try check(m: 1, n: 300, k: 256, scratchCount: 0, accumulate: true)  // large enough to split over threads
    }

    func testBlockedGemmOnBF16WeightsMatchesNaive() throws {
        // Scratch for 3 rows of 40 forces several blocks writing strided column ranges of y.
        try check(m: 6, n: 11, k: 40, scratchCount: 120, accumulate: false)
        try check(m: 7, n: 9, k: 16, scratchCount: 1000, accumulate: true)
        try check(m: 4, n: 9, k: 16, scratchCount: 1000, accumulate: true)   // few rows: gemv per row
        try check(m: 3, n: 5, k: 8, scratchCount: 0, accumulate: false)      // no scratch: row-by-row gemv
    }

    func testWeightRowCopyWidensBF16() throws {
        let b: [UInt16] = [0x3F80, 0xC040, 0x4000, 0x3F00]   // 1, -3, 2, 0.5
        b.withUnsafeBytes { raw in
            let w = Weight(bf16: raw.baseAddress!, rows: 2, cols: 2, owner: Matrix(rows: 1, cols: 1))
            var row = [Float](repeating: 0, count: 2)
            w.copyRow(1, into: &row)
            XCTAssertEqual(row, [2, 0.5])
            XCTAssertEqual(w.byteCount, 8)
        }
    }
}
