// `understudy model logits|generate --image` against the transformers reference on the tiny vision-language
// fixtures of Tests/Qwen3VLTests/Fixtures/vision (scripts/make-vision-fixtures.py): PNGs read from disk,
// processed, encoded and placed exactly as in the parity tests, through the command line.
import Foundation
import XCTest

final class ModelVisionCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Qwen3VLTests/Fixtures/vision").standardized

    struct Case: Decodable {
        struct Entry: Decodable { let offset: Int; let shape: [Int] }
        let images: [String]
        let prompt: [Int]
        let greedy: [Int]
        let tensors: [String: Entry]
    }

    func load(_ model: String, _ name: String) throws -> (dir: String, meta: Case, images: [String]) {
        let dir = Self.fixtures.appendingPathComponent(model)
        let meta = try JSONDecoder().decode(Case.self, from: Data(contentsOf: dir.appendingPathComponent(name + ".json")))
        let images = meta.images.map { Self.fixtures.appendingPathComponent("images/\($0).png").path }
        return (dir.path, meta, images)
    }

    func testGenerateWithTwoImagesMatchesTheReferenceTokens() throws {
        let (dir, meta, images) = try load("tiny-vl-b", "two-images")
        let ids = meta.prompt.map(String.init).joined(separator: ",")
        let r = try CLI.run(["model", "generate", dir, "--ids", ids] + images.flatMap { ["--image", $0] }
                            + ["--max-tokens", "\(meta.greedy.count)", "--print-ids"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutText.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
                       meta.greedy)
    }

    func testLogitsWithAnImageMatchTheReference() throws {
        let (dir, meta, images) = try load("tiny-vl-a", "one-image")
        let out = NSTemporaryDirectory() + "vision-logits-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try CLI.run(["model", "logits", dir, "--ids", meta.prompt.map(String.init).joined(separator: ","),
                             "--image", images[0], "--all-positions", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        // NPY v1.0: magic, version, header length (u16 LE), header, then little-endian float32.
        let npy = try Data(contentsOf: URL(fileURLWithPath: out))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        let got = npy.dropFirst(10 + headerLength).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let entry = try XCTUnwrap(meta.tensors["logits"])
        let blob = try Data(contentsOf: URL(fileURLWithPath: dir + "/one-image.f32"))
            .withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let expected = blob[entry.offset..<(entry.offset + entry.shape.reduce(1, *))]
        XCTAssertEqual(got.count, expected.count)
        let scale = expected.map(abs).max() ?? 1
        let delta = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(delta, 1e-4 * scale)   // tolerance as in VisionParityTests
    }

    func testImageCountAndBudgetMistakesAreClearErrors() throws {
        let (dir, _, images) = try load("tiny-vl-a", "one-image")
        let out = NSTemporaryDirectory() + "vision-unused-\(UUID().uuidString).npy"
        let noPlaceholder = try CLI.run(["model", "logits", dir, "--ids", "1,2,3", "--image", images[0], "--out", out])
        XCTAssertNotEqual(noPlaceholder.status, 0)
        XCTAssertTrue(noPlaceholder.stderr.contains("image"), noPlaceholder.stderr)
        let badBudget = try CLI.run(["model", "logits", dir, "--ids", "1,509,2", "--image", images[0], "--out", out,
                                     "--min-pixels", "0"])
        XCTAssertNotEqual(badBudget.status, 0)
        XCTAssertTrue(badBudget.stderr.contains("--min-pixels"), badBudget.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// `model info` checks the vision tower too and says so; `--json` carries the same facts.
    func testInfoChecksTextAndVisionTensors() throws {
        let dir = Self.fixtures.appendingPathComponent("tiny-vl-a").path
        let text = try CLI.run(["model", "info", dir])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdoutText.contains("tensors, all checked (F32 on disk;"), text.stdoutText)
        let json = try CLI.run(["model", "info", dir, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let vision = try XCTUnwrap(try json.json()["vision"] as? [String: Any])
        XCTAssertGreaterThan(vision["tensors_present"] as? Int ?? 0, 0)
        XCTAssertEqual(vision["dtypes"] as? [String], ["F32"])
        let missing = try CLI.run(["model", "info", dir + "/no-such-dir"])
        XCTAssertNotEqual(missing.status, 0)
    }
}
