import XCTest
@testable import Tensors

final class KernelsTests: XCTestCase {
    func testRMSNormMatchesFormula() {
        let x: [Float] = [1, -2, 3, 4, 0.5, -0.5]
        let w: [Float] = [1, 0.5, 2]
        var y = [Float](repeating: 0, count: 6)
        Kernels.rmsNorm(x, rows: 2, n: 3, weight: w, eps: 1e-6, into: &y)
        for r in 0..<2 {
            let row = x[(r * 3)..<(r * 3 + 3)]
            let rms = (row.map { Double($0 * $0) }.reduce(0, +) / 3 + 1e-6).squareRoot()
            for i in 0..<3 { XCTAssertEqual(y[r * 3 + i], Float(Double(row[row.startIndex + i]) / rms) * w[i], accuracy: 1e-6) }
        }
    }

    func testSoftmaxSumsToOneAndIsStable() {
        var x: [Float] = [1000, 1001, 999]
        Kernels.softmax(&x, n: 3)
        XCTAssertEqual(x.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertGreaterThan(x[1], x[0])
    }

    func testRotateHalfPairsDimensionWithDimensionPlusHalf() {
        var x: [Float] = [1, 2, 3, 4]
        // angle π/2 on pair 0 (dims 0, 2), angle 0 on pair 1 (dims 1, 3).
        Kernels.rotateHalf(&x, headDim: 4, cos: [0, 1], sin: [1, 0])
        XCTAssertEqual(x[0], -3, accuracy: 1e-6)
        XCTAssertEqual(x[2], 1, accuracy: 1e-6)
        XCTAssertEqual(x[1], 2)
        XCTAssertEqual(x[3], 4)
    }

    func testSiluMultiplyAndArgmax() {
        var g: [Float] = [0, 1, -1]
        Kernels.siluMultiply(&g, [2, 2, 2], n: 3)
        XCTAssertEqual(g[0], 0)
        XCTAssertEqual(g[1], 2 / (1 + expf(-1)), accuracy: 1e-6)
        XCTAssertEqual(Kernels.argmax([1, 5, 5, 2], n: 4), 1, "first maximum wins, like torch.argmax")
    }

    func testHalfPrecisionConversions() {
        XCTAssertEqual(Float16Conversion.bf16ToFloat(0x3F80), 1)
        XCTAssertEqual(Float16Conversion.bf16ToFloat(0xC040), -3)
        XCTAssertEqual(Float16Conversion.f16ToFloat(0x3C00), 1)
        XCTAssertEqual(Float16Conversion.f16ToFloat(0xC000), -2)
        XCTAssertEqual(Float16Conversion.f16ToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(Float16Conversion.f16ToFloat(0x7C00), .infinity)
        XCTAssertTrue(Float16Conversion.f16ToFloat(0x7E00).isNaN)
    }
}

#if canImport(Glibc)
import Glibc
#endif
