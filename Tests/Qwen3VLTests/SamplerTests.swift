import XCTest
@testable import Qwen3VL

final class SamplerTests: XCTestCase {
    func sample(_ logits: [Float], _ p: SamplingParameters, context: [Int] = [], generated: [Int] = []) -> Int {
        var sampler = Sampler(p)
        var l = logits
        return l.withUnsafeMutableBufferPointer { sampler.sample($0, context: context, generated: generated) }
    }

    func testGreedyIsArgmax() {
        XCTAssertEqual(sample([0.1, 3, 2, -1], .greedy), 1)
    }

    func testTopKOneAndTinyTopPAreGreedy() {
        let logits: [Float] = [0.1, 3, 2.9, -1]
        for seed in 0..<20 as Range<UInt64> {
            XCTAssertEqual(sample(logits, SamplingParameters(temperature: 1, topK: 1, seed: seed)), 1)
            XCTAssertEqual(sample(logits, SamplingParameters(temperature: 1, topP: 0.01, seed: seed)), 1)
        }
    }

    func testSeededSamplingIsReproducibleAndFollowsTheDistribution() {
        let logits: [Float] = [0, log(3), -Float.infinity]   // probabilities 1/4, 3/4, 0
        var a = Sampler(SamplingParameters(temperature: 1, seed: 42))
        var b = Sampler(SamplingParameters(temperature: 1, seed: 42))
        var counts = [0, 0, 0]
        for _ in 0..<4000 {
            var l1 = logits, l2 = logits
            let x = l1.withUnsafeMutableBufferPointer { a.sample($0, context: [], generated: []) }
            let y = l2.withUnsafeMutableBufferPointer { b.sample($0, context: [], generated: []) }
            XCTAssertEqual(x, y)
            counts[x] += 1
        }
        XCTAssertEqual(counts[2], 0)
        XCTAssertEqual(Double(counts[1]) / 4000, 0.75, accuracy: 0.03)
    }

    func testTopKRestrictsToTheBestK() {
        let logits: [Float] = [5, 4, 3, 2, 1]
        for seed in 0..<50 as Range<UInt64> {
            XCTAssertLessThan(sample(logits, SamplingParameters(temperature: 5, topK: 2, seed: seed)), 2)
        }
    }

    func testRepetitionPenaltyFollowsTransformers() {
        // 2.0 / 2 = 1.0 < 1.5 → token 1 wins; a negative logit is multiplied instead.
        XCTAssertEqual(sample([0, 2.0, 1.5], SamplingParameters(repetitionPenalty: 2), context: [1]), 2)
        var sampler = Sampler(SamplingParameters(repetitionPenalty: 2))
        var l: [Float] = [-1, -3]
        _ = l.withUnsafeMutableBufferPointer { sampler.sample($0, context: [0, 0], generated: []) }
        XCTAssertEqual(l, [-2, -3])
    }

    func testPresencePenaltyAppliesToGeneratedTokensOnly() {
        XCTAssertEqual(sample([0, 2.0, 1.5], SamplingParameters(presencePenalty: 1), context: [1]), 1)
        XCTAssertEqual(sample([0, 2.0, 1.5], SamplingParameters(presencePenalty: 1), context: [1], generated: [1]), 2)
    }

    func testParameterValidation() {
        XCTAssertThrowsError(try SamplingParameters(temperature: -1).validate())
        XCTAssertThrowsError(try SamplingParameters(topP: 0).validate())
        XCTAssertThrowsError(try SamplingParameters(repetitionPenalty: .nan).validate())
        XCTAssertNoThrow(try SamplingParameters(temperature: 0.7, topK: 20, topP: 0.8, presencePenalty: 1.5).validate())
    }

    func testGeneratorStopsOnStopTokenAndRespectsBudget() throws {
        let model = try Qwen3VLModel(directory: TextParityTests.fixtureDirectory("tiny-gqa4-tied"))
        let cases = try TextParityTests.cases(TextParityTests.fixtureDirectory("tiny-gqa4-tied"))
        let c = cases.cases[1]
        // Declaring the 3rd greedy token a stop token must end generation right there, including it.
        let stop = c.greedy[2]
        let generator = Generator(decoder: model.makeDecoder(contextCapacity: 64), stopTokenIds: [stop])
        var greedy = Sampler(.greedy)
        let result = try generator.generate(prompt: c.ids, maxTokens: 20, sampler: &greedy)
        XCTAssertEqual(result.tokens, Array(c.greedy.prefix(upTo: (c.greedy.firstIndex(of: stop) ?? 2) + 1)))
        XCTAssertEqual(result.stopReason, .stopToken(stop))
        let short = try Generator(decoder: model.makeDecoder(contextCapacity: 64), stopTokenIds: [])
            .generate(prompt: c.ids, maxTokens: 4, sampler: &greedy)
        XCTAssertEqual(short.tokens, Array(c.greedy.prefix(4)))
        XCTAssertEqual(short.stopReason, .maxTokens)
    }
}
