import XCTest
@testable import Qwen3VL

final class RotaryEmbeddingTests: XCTestCase {
    func testInterleavedAxisAssignmentOfTheReleasedModels() {
        // Reference notes §4.3: with [24, 20, 20], H uses j = 1, 4, …, 58; W uses 2, 5, …, 59; T the rest.
        let rope = RotaryEmbedding(headDim: 128, theta: 5e6, mropeSection: [24, 20, 20])
        let h = rope.axisOfFrequency.indices.filter { rope.axisOfFrequency[$0] == 1 }
        let w = rope.axisOfFrequency.indices.filter { rope.axisOfFrequency[$0] == 2 }
        let t = rope.axisOfFrequency.indices.filter { rope.axisOfFrequency[$0] == 0 }
        XCTAssertEqual(h, Array(stride(from: 1, through: 58, by: 3)))
        XCTAssertEqual(w, Array(stride(from: 2, through: 59, by: 3)))
        XCTAssertEqual(t, Array(stride(from: 0, through: 57, by: 3)) + [60, 61, 62, 63])
        XCTAssertEqual(rope.inverseFrequencies[0], 1)
        XCTAssertEqual(rope.inverseFrequencies[32], Float(pow(5e6, -0.5)), accuracy: 1e-9)
    }

    func testTextPositionsAreOneDimensional() {
        let rope = RotaryEmbedding(headDim: 16, theta: 1e4, mropeSection: [2, 3, 3])
        var cos = [Float](repeating: 0, count: 16), sin = [Float](repeating: 0, count: 16)
        rope.fill(positions: .text(start: 5, count: 2), cos: &cos, sin: &sin)
        for j in 0..<8 {
            XCTAssertEqual(cos[j], cosf(5 * rope.inverseFrequencies[j]), accuracy: 1e-6)
            XCTAssertEqual(sin[8 + j], sinf(6 * rope.inverseFrequencies[j]), accuracy: 1e-6)
        }
        XCTAssertEqual(PositionIDs.text(start: 3, count: 2), PositionIDs(t: [3, 4], h: [3, 4], w: [3, 4]))
    }
}

#if canImport(Glibc)
import Glibc
#endif
