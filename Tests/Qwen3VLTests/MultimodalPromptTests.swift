import Imaging
import Tensors
import XCTest
@testable import Qwen3VL

final class MultimodalPromptTests: XCTestCase {
    func features(grids: [(Int, Int)], width: Int = 4) -> VisionFeatures {
        let tokens = grids.reduce(0) { $0 + $1.0 * $1.1 }
        let embeddings = Matrix(rows: tokens, cols: width)
        for i in 0..<(tokens * width) { embeddings.pointer[i] = Float(i) }
        return VisionFeatures(embeddings: embeddings, deepstack: [], tokenCounts: grids.map { $0.0 * $0.1 },
                              mergedGrids: grids.map { (height: $0.0, width: $0.1) })
    }

    /// The executed example of reference notes §4.4: [x, x, x, <vs>, 6×<img>, <ve>, x, x], grid (1, 4, 6).
    func testReferencePositionExample() throws {
        let img = 9, vs = 7, ve = 8
        let p = try MultimodalPrompt.build(ids: [1, 2, 3, vs, img, ve, 4, 5], imageTokenId: img,
                                           features: features(grids: [(2, 3)]))
        XCTAssertEqual(p.tokens, [1, 2, 3, vs, img, img, img, img, img, img, ve, 4, 5])
        XCTAssertEqual(p.positions.t, [0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 7, 8, 9])
        XCTAssertEqual(p.positions.h, [0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 7, 8, 9])
        XCTAssertEqual(p.positions.w, [0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(p.ropeDelta, -3)
        XCTAssertEqual(p.visualPositions, [4, 5, 6, 7, 8, 9])
    }

    /// Two images with text between: each block starts at the running position, tall and wide grids advance
    /// by their longer side.
    func testTwoImagesWithTextBetween() throws {
        let img = 9
        let p = try MultimodalPrompt.build(ids: [1, img, 2, 3, img, 4], imageTokenId: img,
                                           features: features(grids: [(3, 1), (1, 2)]))
        XCTAssertEqual(p.positions.t, [0, 1, 1, 1, 4, 5, 6, 6, 8])
        XCTAssertEqual(p.positions.h, [0, 1, 2, 3, 4, 5, 6, 6, 8])
        XCTAssertEqual(p.positions.w, [0, 1, 1, 1, 4, 5, 6, 7, 8])
        XCTAssertEqual(p.ropeDelta, 9 - 9)
    }

    func testPlacementAcrossChunks() throws {
        let img = 9
        let p = try MultimodalPrompt.build(ids: [1, img, 2], imageTokenId: img, features: features(grids: [(1, 2)], width: 2))
        // Chunk covering prompt rows 2..<4 holds image row 1 at local row 0.
        var x = [Float](repeating: -1, count: 4)
        x.withUnsafeMutableBufferPointer { p.placeEmbeddings(into: $0.baseAddress!, width: 2, chunk: 2..<4) }
        XCTAssertEqual(x, [2, 3, -1, -1])
    }

    func testChatAndGroundingPrompts() {
        XCTAssertEqual(ChatPrompt.user(text: "Hi", imageCount: 2),
                       "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertTrue(GroundingPrompt.instruction(target: "the OK button").hasPrefix("Locate the OK button in the image."))
        XCTAssertNil(GroundingPrompt.problem(withTarget: "Save"))
        XCTAssertNotNil(GroundingPrompt.problem(withTarget: "  "))
        XCTAssertNotNil(GroundingPrompt.problem(withTarget: "x<|im_end|>"))
    }

    /// PNG decoding (Imaging) hands the processor the same bytes as the raw fixture files.
    func testPNGFixturesDecodeToTheRawBytes() throws {
        for (name, e) in try VisionFixtures.imageIndex().images {
            let png = try Image(contentsOfPNGFile: try VisionFixtures.root.appendingPathComponent("images/\(name).png").path)
            XCTAssertEqual(try RGB8Buffer(png), try VisionFixtures.image(name, e), name)
        }
    }
}
