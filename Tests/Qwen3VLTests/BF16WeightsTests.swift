// bf16 checkpoints: projections read in place (bf16 kernels) must give the logits of the same bf16 weights
// widened to float32 at load (plain sgemm/sgemv) — the bf16 path changes memory traffic, not the maths.
import Foundation
import ModelFormats
import XCTest
@testable import Qwen3VL

final class BF16WeightsTests: XCTestCase {
    /// Rewrites a fixture checkpoint as one bf16 safetensors file (round to nearest even) in a temp dir.
    static func bf16Copy(of fixture: String) throws -> URL {
        let source = try TextParityTests.fixtureDirectory(fixture)
        let checkpoint = try SafetensorsCheckpoint(directory: source)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3vl-bf16-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        for file in ["config.json", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: tmp.path + "/" + file)
        }
        var header: [String] = []
        var data = Data()
        for name in checkpoint.tensors.keys.sorted() {
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
}
