// Parity of the Swift text decoder with transformers on the tiny random checkpoints that
// scripts/make-qwen3vl-text-fixtures.py made (committed under Fixtures/, so no PyTorch is needed here).
import Foundation
import ModelFormats
import XCTest
@testable import Qwen3VL

final class TextParityTests: XCTestCase {
    static let fixtureNames = ["tiny-gqa4-tied", "tiny-gqa3-untied"]

    /// Tolerance, relative to the largest |logit| of the fixture: both sides compute in float32 with
    /// different summation orders (OpenBLAS vs MKL-free torch CPU kernels), whose rounding differences
    /// are ~1e-6 of the logit scale after a few layers; 1e-4 leaves 100× headroom yet catches any
    /// real mistake (a wrong norm, bias or rotary pair moves logits by ≥1e-2 of the scale).
    static let relativeTolerance: Float = 1e-4

    struct Cases: Decodable {
        struct Sampling: Decodable {
            let repetition_penalty: Float
            let temperature: Float
            let top_k: Int
            let top_p: Float
            let support: [Int]
            let probabilities: [Float]
        }
        struct Case: Decodable {
            let ids: [Int]
            let logits: String
            let greedy: [Int]
            let greedy_repetition_1_3: [Int]?
            let sampling: Sampling?
        }
        let max_abs_logit: Float
        let eos_token_id: [Int]
        let cases: [Case]
    }

    static func fixtureDirectory(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureMissing(what: "the Fixtures folder in the test bundle")
        }
        return url.appendingPathComponent(name).path
    }

    static func cases(_ directory: String) throws -> Cases {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("cases.json"))
        return try JSONDecoder().decode(Cases.self, from: data)
    }

    func testLogitsMatchTransformersAtEveryPosition() throws {
        for name in Self.fixtureNames {
            let directory = try Self.fixtureDirectory(name)
            let model = try Qwen3VLModel(directory: directory)
            let cases = try Self.cases(directory)
            let decoder = model.makeDecoder(contextCapacity: 64, batchCapacity: 64, allPositionLogits: true)
            var worst: Float = 0
            for c in cases.cases {
                decoder.reset()
                let got = try decoder.logitsForAllPositions(c.ids)
                let expected = try NPYFile.read(path: directory + "/" + c.logits)
                XCTAssertEqual(expected.shape, [c.ids.count, model.configuration.text.vocabSize])
                XCTAssertEqual(got.count, expected.values.count)
                let delta = zip(got, expected.values).map { abs($0 - $1) }.max() ?? .infinity
                worst = max(worst, delta)
                XCTAssertLessThanOrEqual(delta, Self.relativeTolerance * cases.max_abs_logit,
                                         "\(name) prompt of \(c.ids.count): max |Δ| \(delta)")
            }
            print("parity \(name): max |Δ| = \(worst) (max |logit| \(cases.max_abs_logit), relative \(worst / cases.max_abs_logit))")
        }
    }

    func testChunkedPrefillAndDecodeMatchTheReference() throws {
        // Small chunks force the multi-chunk prefill and the decode path to reproduce the same logits.
        let directory = try Self.fixtureDirectory("tiny-gqa3-untied")
        let model = try Qwen3VLModel(directory: directory)
        let cases = try Self.cases(directory)
        guard let c = cases.cases.last else { return XCTFail("no cases") }
        let expected = try NPYFile.read(path: directory + "/" + c.logits).values
        let vocab = model.configuration.text.vocabSize
        let decoder = model.makeDecoder(contextCapacity: 64, batchCapacity: 5)
        let split = c.ids.count - 3
        let last = try decoder.prefill(Array(c.ids[..<split]))
        var delta = zip(Array(last), expected[((split - 1) * vocab)..<(split * vocab)]).map { abs($0 - $1) }.max() ?? 1
        for i in split..<c.ids.count {
            let row = Array(try decoder.decode(c.ids[i]))
            delta = max(delta, zip(row, expected[(i * vocab)..<((i + 1) * vocab)]).map { abs($0 - $1) }.max() ?? 1)
        }
        XCTAssertLessThanOrEqual(delta, Self.relativeTolerance * cases.max_abs_logit)
    }

    func testGreedyContinuationsAreIdentical() throws {
        for name in Self.fixtureNames {
            let directory = try Self.fixtureDirectory(name)
            let model = try Qwen3VLModel(directory: directory)
            let cases = try Self.cases(directory)
            XCTAssertEqual(model.stopTokenIds, Set(cases.eos_token_id))
            let generator = Generator(decoder: model.makeDecoder(contextCapacity: 64), stopTokenIds: model.stopTokenIds)
            for c in cases.cases {
                var sampler = Sampler(.greedy)
                let result = try generator.generate(prompt: c.ids, maxTokens: 20, sampler: &sampler)
                XCTAssertEqual(result.tokens, c.greedy, "\(name) prompt of \(c.ids.count)")
                if result.tokens.count < 20 {
                    XCTAssertEqual(result.stopReason, .stopToken(result.tokens.last ?? -1))
                }
            }
        }
    }

    func testBothConfigurationFormsDecodeToTheSameConfiguration() throws {
        for name in Self.fixtureNames {
            let directory = try Self.fixtureDirectory(name)
            let five = try Qwen3VLConfiguration.load(path: directory + "/config.json")
            let four = try Qwen3VLConfiguration.load(path: directory + "/config-4.57.json")
            XCTAssertEqual(five, four, name)
        }
    }

    func testModelLoadsWithTheTransformers457Config() throws {
        // Same weights, the 4.57-form config: the logits must not change.
        let source = try Self.fixtureDirectory("tiny-gqa4-tied")
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3vl-457-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(atPath: source + "/config-4.57.json", toPath: tmp.path + "/config.json")
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: tmp.path + "/model.safetensors")
        let model = try Qwen3VLModel(directory: tmp.path)
        let cases = try Self.cases(source)
        guard let c = cases.cases.first else { return XCTFail("no cases") }
        let decoder = model.makeDecoder(contextCapacity: 32)
        let got = Array(try decoder.prefill(c.ids))
        let expected = try NPYFile.read(path: source + "/" + c.logits).values
        let delta = zip(got, expected.suffix(got.count)).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThanOrEqual(delta, Self.relativeTolerance * cases.max_abs_logit)
    }

    func testRepetitionPenaltyGreedyMatchesTransformers() throws {
        for name in Self.fixtureNames {
            let directory = try Self.fixtureDirectory(name)
            let model = try Qwen3VLModel(directory: directory)
            let generator = Generator(decoder: model.makeDecoder(contextCapacity: 64), stopTokenIds: model.stopTokenIds)
            for c in try Self.cases(directory).cases {
                guard let expected = c.greedy_repetition_1_3 else { continue }
                var sampler = Sampler(SamplingParameters(repetitionPenalty: 1.3))
                XCTAssertEqual(try generator.generate(prompt: c.ids, maxTokens: 20, sampler: &sampler).tokens, expected, name)
            }
        }
    }

    func testSamplingDistributionMatchesTransformersProcessors() throws {
        for name in Self.fixtureNames {
            let directory = try Self.fixtureDirectory(name)
            let model = try Qwen3VLModel(directory: directory)
            for c in try Self.cases(directory).cases {
                guard let s = c.sampling else { continue }
                let decoder = model.makeDecoder(contextCapacity: 64)
                let logits = try decoder.prefill(c.ids)
                var sampler = Sampler(SamplingParameters(temperature: s.temperature, topK: s.top_k, topP: s.top_p,
                                                         repetitionPenalty: s.repetition_penalty))
                let got = sampler.distribution(logits, context: c.ids, generated: [])
                XCTAssertEqual(got.map(\.token).sorted(), s.support.sorted(), name)
                let expected = Dictionary(uniqueKeysWithValues: zip(s.support, s.probabilities))
                for (token, probability) in got {
                    XCTAssertEqual(probability, expected[token] ?? -1, accuracy: 1e-5, "\(name) token \(token)")
                }
            }
        }
    }
}
