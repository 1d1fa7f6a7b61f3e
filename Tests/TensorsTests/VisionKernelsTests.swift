import XCTest
@testable import Tensors

final class VisionKernelsTests: XCTestCase {
    func testLayerNormAgainstDouble() {
        let n = 37
        var x = (0..<(2 * n)).map { Float(sin(Double($0) * 0.7) * 3 + 1) }
        let w = (0..<n).map { 1 + Float($0) * 0.01 }, b = (0..<n).map { Float($0) * -0.02 }
        var y = [Float](repeating: 0, count: 2 * n)
        Kernels.layerNorm(&x, rows: 2, n: n, weight: w, bias: b, eps: 1e-6, into: &y)
        for r in 0..<2 {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for i in 0..<n {
                let expected = (row[i] - mean) / (variance + 1e-6).squareRoot() * Double(w[i]) + Double(b[i])
                XCTAssertEqual(Double(y[r * n + i]), expected, accuracy: 1e-5)
            }
        }
    }

    /// Values of torch.nn.functional.gelu(x, approximate="tanh") and gelu(x) (erf).
    func testGELUs() {
        var t: [Float] = [-3, -1, 0, 0.5, 2]
        var e = t
        Kernels.geluTanh(&t, n: t.count)
        Kernels.geluErf(&e, n: e.count)
        let tanhExpected: [Float] = [-0.0036373, -0.1588080, 0, 0.3457140, 1.9545977]
        let erfExpected: [Float] = [-0.0040497, -0.1586553, 0, 0.3457312, 1.9544997]
        for i in 0..<t.count {
            XCTAssertEqual(t[i], tanhExpected[i], accuracy: 2e-6)
            XCTAssertEqual(e[i], erfExpected[i], accuracy: 2e-6)
        }
    }

    func testVectorisedExpAndSoftmax() {
        var worst: Float = 0
        for k in 0..<2000 {
            let v = -80 + Float(k) * 0.044
            let got = Kernels.exp8(SIMD8(repeating: v))[0]
            worst = max(worst, abs(got - expf(v)) / expf(v))
        }
        XCTAssertLessThan(worst, 5e-7)
        for n in [1, 7, 8, 9, 100, 4001] {
            var a = (0..<n).map { Float(sin(Double($0) * 1.3) * 12) }
            var b = a
            naiveSoftmax(&a)
            Kernels.softmax(&b, n: n)
            for i in 0..<n { XCTAssertEqual(a[i], b[i], accuracy: 1e-6 * max(a[i], 1e-3), "n \(n) i \(i)") }
            XCTAssertEqual(b.reduce(0, +), 1, accuracy: 1e-4)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The scalar reference the vectorised softmax is checked against (house style: a naive kernel in the tests).
func naiveSoftmax(_ x: inout [Float]) {
    guard let maximum = x.max() else { return }
    var sum: Float = 0
    for i in x.indices { x[i] = expf(x[i] - maximum); sum += x[i] }
    for i in x.indices { x[i] /= sum }
}
