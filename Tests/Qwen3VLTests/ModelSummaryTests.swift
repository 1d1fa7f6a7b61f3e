// `understudy model info`'s summary: every text and vision tensor checked by name and shape without
// reading the weights; a text-only checkpoint says images cannot be used; resident bytes as the engine
// loads them (bf16 matrices in place).
import Foundation
import ModelFormats
import XCTest
@testable import Qwen3VL

final class ModelSummaryTests: XCTestCase {
    func testVisionLanguageCheckpointIsCheckedWhole() throws {
        let directory = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        let summary = try ModelSummary(directory: directory)
        let config = try Qwen3VLConfiguration.load(directory: directory)
        let declared = VisionWeights.declaredTensors(config.vision)
        XCTAssertEqual(summary.vision.tensorsPresent, declared.count)
        XCTAssertEqual(summary.vision.parameters, declared.values.reduce(0) { $0 + $1.reduce(1, *) })
        XCTAssertEqual(summary.vision.dtypes, ["F32"])
        XCTAssertEqual(summary.loadedVisionBytes, summary.vision.parameters * 4, "f32 on disk stays f32")
        XCTAssertTrue(summary.lines.contains { $0.hasPrefix("vision parameters: \(summary.vision.parameters) in \(declared.count) tensors, all checked") },
                      "\(summary.lines)")
    }

    func testTextOnlyCheckpointSaysImagesCannotBeUsed() throws {
        let dir = try BF16WeightsTests.bf16Copy(directory: try TextParityTests.fixtureDirectory("tiny-gqa4-tied")) {
            !$0.hasPrefix("model.visual.")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try ModelSummary(directory: dir.path)
        XCTAssertEqual(summary.vision.tensorsPresent, 0)
        XCTAssertEqual(summary.loadedVisionBytes, 0)
        XCTAssertTrue(summary.lines.contains("vision parameters: none in the checkpoint (text only: images cannot be used)"))
    }

    /// bf16 matrices count 2 bytes once loaded (they stay in the mapping), vectors 4.
    func testBF16ResidentBytes() throws {
        let dir = try BF16WeightsTests.bf16Copy(directory: try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path)
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try ModelSummary(directory: dir.path)
        XCTAssertEqual(summary.textDTypes, ["BF16"])
        XCTAssertEqual(summary.vision.dtypes, ["BF16"])
        XCTAssertLessThan(summary.loadedTextBytes, summary.text.parameters * 4)
        XCTAssertGreaterThan(summary.loadedTextBytes, summary.text.parameters * 2)
        // The engine's own count after loading agrees.
        let model = try Qwen3VLModel(directory: dir.path)
        XCTAssertEqual(summary.loadedVisionBytes, try model.makeVisionEncoder().weights.byteCount)
    }

    /// A vision tensor with the wrong shape is named, as a text one would be.
    func testAMisShapedVisionTensorIsNamed() throws {
        let source = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for file in ["config.json", "generation_config.json", "preprocessor_config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: tmp.path + "/" + file)
        }
        // One more ViT block in the configuration than the checkpoint has.
        let configPath = tmp.appendingPathComponent("config.json")
        var config = try String(contentsOf: configPath, encoding: .utf8)
        let depth = try Qwen3VLConfiguration.load(directory: source).vision.depth
        XCTAssertTrue(config.contains("\"depth\": \(depth)"), "fixture config layout changed")
        config = config.replacingOccurrences(of: "\"depth\": \(depth)", with: "\"depth\": \(depth + 1)")
        try config.write(to: configPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelSummary(directory: tmp.path)) { error in
            XCTAssertTrue("\(error)".contains("model.visual.blocks.\(depth)."), "\(error)")
        }
    }
}
