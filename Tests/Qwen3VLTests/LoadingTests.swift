// Strict loading of the text weights: a missing, unexpected or mis-shaped tensor fails naming it.
import Foundation
import ModelFormats
import XCTest
@testable import Qwen3VL

final class LoadingTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3vl-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = try TextParityTests.fixtureDirectory("tiny-gqa4-tied")
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: directory.path + "/model.safetensors")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Writes the fixture config with `text_config` edits, then expects loading to fail with `expected`.
    func expectLoadError(_ expected: ModelFormatsError, file: StaticString = #filePath, line: UInt = #line,
                         _ edit: (inout [String: Any], inout [String: Any]) -> Void) throws {
        let source = try TextParityTests.fixtureDirectory("tiny-gqa4-tied")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as? [String: Any])
        var text = try XCTUnwrap(root["text_config"] as? [String: Any])
        edit(&root, &text)
        root["text_config"] = text
        try JSONSerialization.data(withJSONObject: root).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try Qwen3VLModel(directory: directory.path), file: file, line: line) { error in
            XCTAssertEqual(error as? ModelFormatsError, expected, "\(error)", file: file, line: line)
        }
    }

    func testMisShapedTensorIsNamed() throws {
        try expectLoadError(.tensorShapeMismatch(name: "model.language_model.layers.0.mlp.down_proj.weight",
                                                 expected: [64, 100], actual: [64, 128])) { _, t in t["intermediate_size"] = 100 }
    }

    func testMissingTensorsAreNamed() throws {
        try expectLoadError(.missingTensor(name: "lm_head.weight")) { root, _ in root["tie_word_embeddings"] = false }
        try expectLoadError(.missingTensor(name: "model.language_model.layers.0.self_attn.k_proj.bias")) { _, t in t["attention_bias"] = true }
    }

    func testUnexpectedTensorIsNamed() throws {
        try expectLoadError(.unexpectedTensor(name: "model.language_model.layers.1.input_layernorm.weight")) { root, t in
            t["num_hidden_layers"] = 1
            var vision = root["vision_config"] as? [String: Any] ?? [:]
            vision["deepstack_visual_indexes"] = [0]
            root["vision_config"] = vision
        }
    }

    func testTruncatedCheckpointFailsCleanly() throws {
        let source = try TextParityTests.fixtureDirectory("tiny-gqa4-tied")
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: directory.path + "/config.json")
        let path = directory.path + "/model.safetensors"
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(1000)
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Qwen3VLModel(directory: directory.path)) { error in
            guard case .tensorOutOfBounds? = error as? ModelFormatsError else { return XCTFail("\(error)") }
        }
    }

    func testNotADirectoryAndGGUF() throws {
        XCTAssertThrowsError(try Qwen3VLModel(directory: directory.path + "/nothing-here"))
        XCTAssertThrowsError(try Qwen3VLModel(directory: directory.path + "/model.safetensors"))
        let gguf = directory.path + "/m.gguf"
        FileManager.default.createFile(atPath: gguf, contents: Data("GGUF".utf8))
        XCTAssertThrowsError(try Qwen3VLModel(directory: gguf)) { guard case .unsupportedModel? = $0 as? Qwen3VLError else { return XCTFail("\($0)") } }
    }

    func testOutOfRangeTokensAndFullContextAreErrors() throws {
        let model = try Qwen3VLModel(directory: TextParityTests.fixtureDirectory("tiny-gqa4-tied"))
        let decoder = model.makeDecoder(contextCapacity: 4)
        XCTAssertThrowsError(try decoder.prefill([1, 512])) { XCTAssertEqual($0 as? Qwen3VLError, .tokenOutOfRange(token: 512, vocabularySize: 512)) }
        XCTAssertThrowsError(try decoder.prefill([-1])) { XCTAssertEqual($0 as? Qwen3VLError, .tokenOutOfRange(token: -1, vocabularySize: 512)) }
        XCTAssertThrowsError(try decoder.prefill([1, 2, 3, 4, 5])) { XCTAssertEqual($0 as? Qwen3VLError, .contextFull(position: 0, tokens: 5, capacity: 4)) }
        XCTAssertThrowsError(try decoder.prefill([])) { XCTAssertEqual($0 as? Qwen3VLError, .emptyPrompt) }
        XCTAssertThrowsError(try decoder.logitsForAllPositions([1, 2])) { XCTAssertEqual($0 as? Qwen3VLError, .allPositionLogitsNotAllocated) }
        XCTAssertEqual(decoder.cache.length, 0, "refused calls leave the cache untouched")
        XCTAssertThrowsError(try model.checkPrompt([1, 509, 2], imageCount: 0)) {
            XCTAssertEqual($0 as? Qwen3VLError, .imageTokenCountMismatch(imageTokens: 1, images: 0, imageTokenId: 509))
        }
        XCTAssertThrowsError(try model.checkPrompt([1, 509], imageCount: 1)) { XCTAssertEqual($0 as? Qwen3VLError, .visionNotSupported) }
        XCTAssertNoThrow(try model.checkPrompt([1, 2], imageCount: 0))
        XCTAssertThrowsError(try model.checkContext(5000)) { XCTAssertEqual($0 as? Qwen3VLError, .contextTooLong(positions: 5000, limit: 4096)) }
    }
}
