// Parity of the Swift vision tower and multimodal prefill with transformers on the tiny random
// vision-language checkpoints that scripts/make-vision-fixtures.py made (committed under Fixtures/vision).
//
// Tolerances, relative to the largest |value| of each reference tensor: both sides compute in float32 but
// with different summation orders (OpenBLAS sgemm blocking vs torch's CPU kernels; Float accumulation in
// LayerNorm/softmax), which puts rounding differences near 1e-6 of the tensor's scale after a few layers.
// 1e-4 leaves ~100× headroom and still catches any real mistake (a wrong merge order, rotary pair, norm,
// GELU variant or DeepStack layer moves values by ≥1e-2 of the scale). Position ids must match exactly;
// 20 greedy tokens must be identical (the fixtures record the smallest top-1/top-2 logit gap, ≥0.014,
// far above the logit error).
import Foundation
import XCTest
import ModelFormats
@testable import Qwen3VL

final class VisionParityTests: XCTestCase {
    static let relativeTolerance: Float = 1e-4

    struct Case: Decodable {
        struct Entry: Decodable { let offset: Int; let shape: [Int] }
        let images: [String]
        let prompt: [Int]
        let expanded_ids: [Int]
        let grid_thw: [[Int]]
        let rope_delta: Int
        let greedy: [Int]
        let tensors: [String: Entry]
    }

    struct Reference {
        let meta: Case
        let blob: [Float]
        func tensor(_ name: String) throws -> (shape: [Int], values: ArraySlice<Float>) {
            guard let e = meta.tensors[name] else { throw FixtureMissing(what: "tensor \(name)") }
            let count = e.shape.reduce(1, *)
            return (e.shape, blob[e.offset..<(e.offset + count)])
        }
    }

    static func reference(_ model: String, _ name: String) throws -> Reference {
        let dir = try VisionFixtures.root.appendingPathComponent(model)
        let meta = try JSONDecoder().decode(Case.self, from: Data(contentsOf: dir.appendingPathComponent(name + ".json")))
        let raw = try Data(contentsOf: dir.appendingPathComponent(name + ".f32"))
        let blob = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }   // little-endian hosts only
        return Reference(meta: meta, blob: blob)
    }

    /// Largest |a − b| and the reference's largest |value|.
    static func compare(_ got: UnsafePointer<Float>, _ count: Int, _ expected: ArraySlice<Float>) -> (Float, Float) {
        var delta: Float = 0, scale: Float = 0
        for (i, e) in expected.enumerated() where i < count {
            delta = max(delta, abs(got[i] - e))
            scale = max(scale, abs(e))
        }
        return (count == expected.count ? delta : .infinity, scale)
    }

    func runCase(model name: String, case caseName: String) throws {
        let directory = try VisionFixtures.root.appendingPathComponent(name).path
        let reference = try Self.reference(name, caseName)
        let model = try Qwen3VLModel(directory: directory)
        let encoder = try model.makeVisionEncoder()
        let processor = try model.imageProcessor()
        let index = try VisionFixtures.imageIndex()
        let images = try reference.meta.images.map { image -> ProcessedImage in
            guard let e = index.images[image] else { throw FixtureMissing(what: "image \(image)") }
            return try processor.process(try VisionFixtures.image(image, e))
        }
        XCTAssertEqual(images.map { [$0.gridT, $0.gridH, $0.gridW] }, reference.meta.grid_thw)

        // Every intermediate of the tower.
        var report: [String] = []
        var failures: [String] = []
        let features = try encoder.encode(images) { tensor, pointer, rows, cols in
            guard let (shape, values) = try? reference.tensor(tensor) else { return failures.append("missing \(tensor)") }
            if shape.reduce(1, *) != rows * cols { return failures.append("\(tensor): shape \(shape) vs [\(rows), \(cols)]") }
            let (delta, scale) = Self.compare(pointer, rows * cols, values)
            report.append("\(tensor) \(delta)")
            if !(delta <= Self.relativeTolerance * max(scale, 1)) { failures.append("\(tensor): max |Δ| \(delta) (scale \(scale))") }
        }
        XCTAssertEqual(failures, [], "\(name)/\(caseName)")

        // Prompt: expansion, positions, rope delta.
        let prompt = try MultimodalPrompt.build(ids: reference.meta.prompt, imageTokenId: model.configuration.imageTokenId,
                                                features: features)
        XCTAssertEqual(prompt.tokens, reference.meta.expanded_ids)
        XCTAssertEqual(prompt.ropeDelta, reference.meta.rope_delta)
        let positions = try reference.tensor("position_ids").values.map { Int($0) }
        let s = prompt.tokens.count
        XCTAssertEqual(prompt.positions.t, Array(positions[0..<s]))
        XCTAssertEqual(prompt.positions.h, Array(positions[s..<(2 * s)]))
        XCTAssertEqual(prompt.positions.w, Array(positions[(2 * s)..<(3 * s)]))

        // Logits at every position.
        let decoder = model.makeDecoder(contextCapacity: 128, batchCapacity: 64, allPositionLogits: true)
        let logits = try decoder.logitsForAllPositions(prompt)
        let expected = try reference.tensor("logits")
        XCTAssertEqual(expected.shape, [s, model.configuration.text.vocabSize])
        let (delta, scale) = logits.withUnsafeBufferPointer { Self.compare($0.baseAddress!, $0.count, expected.values) }
        XCTAssertLessThanOrEqual(delta, Self.relativeTolerance * scale, "\(name)/\(caseName) logits")
        report.append("logits \(delta) (max |logit| \(scale))")

        // The same through chunks of 7 tokens: image blocks and DeepStack rows straddle chunk boundaries.
        let chunked = model.makeDecoder(contextCapacity: 128, batchCapacity: 7, allPositionLogits: true)
        let chunkedLogits = try chunked.logitsForAllPositions(prompt)
        let (chunkedDelta, _) = chunkedLogits.withUnsafeBufferPointer { Self.compare($0.baseAddress!, $0.count, expected.values) }
        XCTAssertLessThanOrEqual(chunkedDelta, Self.relativeTolerance * scale, "\(name)/\(caseName) chunked logits")

        // 20 greedy tokens through prefill + KV-cache decode with the rope delta.
        let generator = Generator(decoder: model.makeDecoder(contextCapacity: 128), stopTokenIds: [])
        var sampler = Sampler(SamplingParameters())
        let result = try generator.generate(prompt: [], maxTokens: reference.meta.greedy.count, sampler: &sampler,
                                            multimodal: prompt)
        XCTAssertEqual(result.tokens, reference.meta.greedy, "\(name)/\(caseName) greedy")
        print("vision parity \(name)/\(caseName): " + report.joined(separator: ", "))
    }

    func testTinyA_OneImage() throws { try runCase(model: "tiny-vl-a", case: "one-image") }
    func testTinyA_TwoImages() throws { try runCase(model: "tiny-vl-a", case: "two-images") }
    func testTinyB_OneImage() throws { try runCase(model: "tiny-vl-b", case: "one-image") }
    func testTinyB_TwoImages() throws { try runCase(model: "tiny-vl-b", case: "two-images") }

    func testStrictVisionLoadingNamesTheTensor() throws {
        let directory = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        var config = try Qwen3VLConfiguration.load(directory: directory).vision
        config.depth += 1
        let checkpoint = try SafetensorsCheckpoint(directory: directory)
        XCTAssertThrowsError(try VisionWeights(checkpoint: checkpoint, configuration: config)) { error in
            XCTAssertTrue("\(error)".contains("blocks.2"), "\(error)")
        }
    }

    func testImageCountMismatchIsAnError() throws {
        let directory = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        let model = try Qwen3VLModel(directory: directory)
        let encoder = try model.makeVisionEncoder()
        let e = try XCTUnwrap(try VisionFixtures.imageIndex().images["exact-160x96"])
        let features = try encoder.encode([try model.imageProcessor().process(try VisionFixtures.image("exact-160x96", e))])
        let image = model.configuration.imageTokenId
        XCTAssertThrowsError(try MultimodalPrompt.build(ids: [1, image, 2, image], imageTokenId: image, features: features)) {
            XCTAssertEqual($0 as? Qwen3VLError, .imageTokenCountMismatch(imageTokens: 2, images: 1, imageTokenId: image))
        }
    }
}
