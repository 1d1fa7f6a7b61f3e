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
