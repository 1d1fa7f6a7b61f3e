// bf16 checkpoints: projections read in place (bf16 kernels) must give the logits of the same bf16 weights
// widened to float32 at load (plain sgemm/sgemv) — the bf16 path changes memory traffic, not the maths.
import Foundation
import ModelFormats
import XCTest
@testable import Qwen3VL

final class BF16WeightsTests: XCTestCase {
    /// Rewrites a fixture checkpoint as one bf16 safetensors file (round to nearest even) in a temp dir.
    static func bf16Copy(of fixture: String) throws -> URL {
        try bf16Copy(directory: try TextParityTests.fixtureDirectory(fixture))
    }

    /// Rewrites the checkpoint in `source` as bf16 (the tensors `keep` accepts), copying its configuration files.
    static func bf16Copy(directory source: String, keep: (String) -> Bool = { _ in true }) throws -> URL {
        let checkpoint = try SafetensorsCheckpoint(directory: source)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3vl-bf16-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for file in ["config.json", "generation_config.json", "preprocessor_config.json"]
            where FileManager.default.fileExists(atPath: source + "/" + file) {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: tmp.path + "/" + file)
        }
        var header: [String] = []
        var data = Data()
        for name in checkpoint.tensors.keys.sorted() where keep(name) {
            guard let info = checkpoint.tensors[name] else { continue }
            let values = try checkpoint.floats(name)
            let begin = data.count
            for v in values {
                let u = v.bitPattern
                let rounded = UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
                withUnsafeBytes(of: rounded.littleEndian) { data.append(contentsOf: $0) }
            }
            header.append("\"\(name)\":{\"dtype\":\"BF16\",\"shape\":\(info.shape),\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var json = "{" + header.joined(separator: ",") + "}"
        while json.utf8.count % 8 != 0 { json += " " }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(contentsOf: Array(json.utf8))
        file.append(data)
        try file.write(to: tmp.appendingPathComponent("model.safetensors"))
        return tmp
    }

    func testMappedBF16MatchesWidenedBF16() throws {
        for fixture in TextParityTests.fixtureNames {
            let dir = try Self.bf16Copy(of: fixture)
            defer { try? FileManager.default.removeItem(at: dir) }
            let mapped = try Qwen3VLModel(directory: dir.path, keepBF16: true)
            let widened = try Qwen3VLModel(directory: dir.path, keepBF16: false)
            XCTAssertTrue(mapped.weights.layers[0].qProj.isBF16)
            XCTAssertTrue(mapped.weights.embedTokens.isBF16)
            XCTAssertFalse(widened.weights.layers[0].qProj.isBF16)
            XCTAssertEqual(mapped.checkpointDTypes, ["BF16"])
            let cases = try TextParityTests.cases(try TextParityTests.fixtureDirectory(fixture))
            for c in cases.cases {
                // Multi-row path (blocked widening + sgemm) via all-position logits, chunks of 8 rows.
                let a = try mapped.makeDecoder(contextCapacity: 64, batchCapacity: 8, allPositionLogits: true).logitsForAllPositions(c.ids)
                let b = try widened.makeDecoder(contextCapacity: 64, batchCapacity: 8, allPositionLogits: true).logitsForAllPositions(c.ids)
                let delta = zip(a, b).map { abs($0 - $1) }.max() ?? 1
                XCTAssertLessThanOrEqual(delta, 1e-5 * cases.max_abs_logit, "\(fixture) prompt \(c.ids.count)")
                // Single-row path (bf16 gemv) via greedy generation.
                var s1 = Sampler(.greedy), s2 = Sampler(.greedy)
                let g1 = try Generator(decoder: mapped.makeDecoder(contextCapacity: 64), stopTokenIds: mapped.stopTokenIds)
                    .generate(prompt: c.ids, maxTokens: 20, sampler: &s1)
                let g2 = try Generator(decoder: widened.makeDecoder(contextCapacity: 64), stopTokenIds: widened.stopTokenIds)
                    .generate(prompt: c.ids, maxTokens: 20, sampler: &s2)
                XCTAssertEqual(g1.tokens, g2.tokens, "\(fixture) prompt \(c.ids.count)")
            }
        }
    }

    /// The vision tower with bf16 block and merger matrices read in place gives the features of the same
    /// bf16 weights widened at load (1e-5 of each tensor's scale: only the blocking of the products differs).
    func testMappedBF16VisionMatchesWidenedBF16() throws {
        for name in ["tiny-vl-a", "tiny-vl-b"] {
            let dir = try Self.bf16Copy(directory: try VisionFixtures.root.appendingPathComponent(name).path)
            defer { try? FileManager.default.removeItem(at: dir) }
            let mapped = try Qwen3VLModel(directory: dir.path, keepBF16: true).makeVisionEncoder()
            let widened = try Qwen3VLModel(directory: dir.path, keepBF16: false).makeVisionEncoder()
            XCTAssertTrue(mapped.weights.blocks[0].qkv.isBF16)
            XCTAssertTrue(mapped.weights.merger.fc2.isBF16)
            XCTAssertFalse(widened.weights.blocks[0].fc1.isBF16)
            XCTAssertLessThan(mapped.weights.byteCount, widened.weights.byteCount)
            let model = try Qwen3VLModel(directory: dir.path)
            let e = try XCTUnwrap(try VisionFixtures.imageIndex().images["exact-160x96"])
            let image = try model.imageProcessor().process(try VisionFixtures.image("exact-160x96", e))
            let a = try mapped.encode([image]), b = try widened.encode([image])
            for (x, y) in zip([a.embeddings] + a.deepstack, [b.embeddings] + b.deepstack) {
                let xs = Array(UnsafeBufferPointer(start: x.pointer, count: x.count))
                let ys = Array(UnsafeBufferPointer(start: y.pointer, count: y.count))
                let scale = ys.map(abs).max() ?? 0
                let delta = zip(xs, ys).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertEqual(xs.count, ys.count)
                XCTAssertLessThanOrEqual(delta, 1e-5 * max(scale, 1), name)
            }
        }
    }
}

/// Keeping the cached positions a new prompt shares with the last one (the system text before the image)
/// gives the logits of computing the prompt afresh; 1e-5 of the logit scale (only the row blocking of
/// the products differs between the two).
final class PrefixReuseTests: XCTestCase {
    func testReusedPrefixGivesTheLogitsOfAFreshPrefill() throws {
        let directory = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        let model = try Qwen3VLModel(directory: directory)
        let e = try XCTUnwrap(try VisionFixtures.imageIndex().images["exact-160x96"])
        let image = try model.imageProcessor().process(try VisionFixtures.image("exact-160x96", e))
        let features = try model.makeVisionEncoder().encode([image])
        let c = model.configuration
        let system = Array(1...40)  // the shared "system text"
        let first = try MultimodalPrompt.build(ids: system + [c.visionStartTokenId, c.imageTokenId, c.visionEndTokenId] + [5, 6, 7],
                                               imageTokenId: c.imageTokenId, features: features)
        let second = try MultimodalPrompt.build(ids: system + [c.visionStartTokenId, c.imageTokenId, c.visionEndTokenId] + [9, 8, 7, 6, 5],
                                                imageTokenId: c.imageTokenId, features: features)
        let shared = try XCTUnwrap(second.visualPositions.first)
        XCTAssertEqual(shared, 41, "system text and vision_start")

        let reusing = model.makeDecoder(contextCapacity: 512, batchCapacity: 16)
        _ = try reusing.prefill(first)
        let kept = Array(try reusing.prefill(second, reusingCachedPrefix: shared))
        // (The logits live in the decoder's state: each decoder is kept while they are read.)
        let freshDecoder = model.makeDecoder(contextCapacity: 512, batchCapacity: 16)
        let fresh = Array(try freshDecoder.prefill(second))
        let scale = fresh.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThanOrEqual(zip(kept, fresh).map { abs($0 - $1) }.max() ?? .infinity, 1e-5 * scale)
        // Decoding continues at the same positions.
        let token = fresh.indices.max { fresh[$0] < fresh[$1] } ?? 0
        let a = Array(try reusing.decode(token))
        let b = Array(try freshDecoder.decode(token))
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? .infinity, 1e-5 * scale)

        // Past the image, beyond the cache, or the whole prompt: refused.
        XCTAssertThrowsError(try reusing.prefill(second, reusingCachedPrefix: shared + 1))
        let empty = model.makeDecoder(contextCapacity: 512, batchCapacity: 16)
        XCTAssertThrowsError(try empty.prefill(second, reusingCachedPrefix: 1))
    }
}
