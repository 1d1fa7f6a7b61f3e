// The native engine as a planner. The model is the tiny random vision-language checkpoint the vision tests
// use (Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-a, 512-id vocabulary) with a tokenizer made for that
// vocabulary (Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json, scripts/make-tiny-tokenizer.py: Qwen's own
// first 504 tokens and 248 merges, the special tokens at the ids config.json names). Both are found through
// #filePath, so nothing is duplicated into a test bundle. A random model's replies are gibberish, so the
// tests check what the planner feeds the engine and that the loop handles what comes back.

import Foundation
import XCTest
@testable import Agent
import Tokenization

enum TinyModel {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let checkpoint = repository.appendingPathComponent("Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-a")
    static let tokenizer = repository.appendingPathComponent("Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json")

    static func loadTokenizer() throws -> Tokenizer { try Tokenizer(contentsOf: tokenizer) }
}

final class NativePromptTests: XCTestCase {
    func request(task: String = "Open the Save dialog.", history: [StepNote] = [], feedback: String? = nil) -> PlanRequest {
        PlanRequest(task: task, history: history, feedback: feedback, screenshot: ModelImage(png: [], width: 1280, height: 800))
    }

    /// The template renders our instructions + the tool as exactly PromptBuilder's system text, and the user
    /// turn as the image placeholder followed by PromptBuilder's user text.
    func testRenderedPromptIsTheTemplatesRenderingOfPromptBuildersTurns() throws {
        let history = [StepNote(index: 1, action: nil, outcome: .rejected("the reply contains no <tool_call> block"))]
        let r = request(history: history, feedback: "Your previous reply was rejected.")
        let text = try NativePrompt.render(r)
        let expected = "<|im_start|>system\n" + PromptBuilder().systemText + "<|im_end|>\n"
            + "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>" + PromptBuilder().userText(for: r)
            + "<|im_end|>\n<|im_start|>assistant\n"
        XCTAssertEqual(text, expected)
    }

    /// The tiny tokenizer reads the placeholders as the ids the tiny checkpoint's config.json names.
    func testTinyTokenizerEncodesThePlaceholdersAsTheCheckpointsIds() throws {
        let tokenizer = try TinyModel.loadTokenizer()
        let ids = tokenizer.encode(try NativePrompt.render(request()))
        XCTAssertEqual(ids.first, 505)  // <|im_start|>
        XCTAssertEqual(ids.filter { $0 == 509 }.count, 1)
        let image = try XCTUnwrap(ids.firstIndex(of: 509))
        XCTAssertEqual(ids[image - 1], 507)
        XCTAssertEqual(ids[image + 1], 508)
        XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < 512 })
        XCTAssertEqual(tokenizer.decode(ids), try NativePrompt.render(request()))
    }
}

final class ModelFingerprintTests: XCTestCase {
    func directory() throws -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-fp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func writeSafetensors(_ url: URL, values: [UInt8]) throws {
        let header = Array(#"{"w":{"dtype":"U8","shape":[\#(values.count)],"data_offsets":[0,\#(values.count)]}}"#.utf8)
        var bytes = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xff) }
        bytes += header + values
        try Data(bytes).write(to: url)
    }

    func testFingerprintCoversConfigAndHeadersNotWeightValues() throws {
        let dir = try directory()
        try Data(#"{"model_type":"qwen3_vl"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        try writeSafetensors(dir.appendingPathComponent("model.safetensors"), values: [1, 2, 3, 4])
        let first = try ModelFingerprint.sha256(directory: dir.path)
        XCTAssertEqual(first.count, 64)
        XCTAssertEqual(try ModelFingerprint.sha256(directory: dir.path), first)
        // Same layout, other values: the same fingerprint (documented: headers, not weight bytes).
        try writeSafetensors(dir.appendingPathComponent("model.safetensors"), values: [9, 9, 9, 9])
        XCTAssertEqual(try ModelFingerprint.sha256(directory: dir.path), first)
        // Another shape or another config: another fingerprint.
        try writeSafetensors(dir.appendingPathComponent("model.safetensors"), values: [1, 2, 3, 4, 5])
        let reshaped = try ModelFingerprint.sha256(directory: dir.path)
        XCTAssertNotEqual(reshaped, first)
        try Data(#"{"model_type":"qwen3_vl","x":1}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertNotEqual(try ModelFingerprint.sha256(directory: dir.path), reshaped)
    }

    func testFingerprintRefusesADirectoryWithoutWeightsOrWithABadHeader() throws {
        let dir = try directory()
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelFingerprint.sha256(directory: dir.path)) { error in
            XCTAssertEqual(error as? AgentError, .modelUnusable(path: dir.path, reason: "no *.safetensors file"))
        }
        var bad = [UInt8](repeating: 0xff, count: 8)
        bad += [1, 2]
        try Data(bad).write(to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelFingerprint.sha256(directory: dir.path)) { error in
            guard case .modelUnusable(_, let reason)? = error as? AgentError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("does not fit the file"), reason)
        }
    }
}
