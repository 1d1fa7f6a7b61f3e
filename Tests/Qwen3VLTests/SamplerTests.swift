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

    /// The reference: every logit warped, the whole vocabulary sorted, transformers' order of processors —
    /// the straightforward implementation the fast paths must agree with.
    func referenceDistribution(_ logits: [Float], _ p: SamplingParameters, context: [Int], generated: [Int]) -> [Int: Float] {
        var l = logits
        for t in Set(context) { l[t] = l[t] < 0 ? l[t] * p.repetitionPenalty : l[t] / p.repetitionPenalty }
        for t in Set(generated) { l[t] -= p.presencePenalty }
        var c = l.enumerated().map { (index: $0.offset, logit: $0.element / p.temperature) }
        c.sort { $0.logit != $1.logit ? $0.logit > $1.logit : $0.index < $1.index }
        if p.topK > 0 && p.topK < c.count { c.removeLast(c.count - p.topK) }
        var w = c.map { expf($0.logit - c[0].logit) }
        let total = w.reduce(0.0) { $0 + Double($1) }
        if p.topP < 1 {
            var cumulative = 0.0, keep = 0
            for x in w { cumulative += Double(x); keep += 1; if cumulative >= Double(p.topP) * total { break } }
            w.removeLast(w.count - keep)
        }
        let sum = w.reduce(0, +)
        return Dictionary(uniqueKeysWithValues: zip(c.prefix(w.count).map(\.index), w.map { $0 / sum }))
    }

    /// Heap top-k, margin-pruned top-p and incremental penalties give the reference's distribution, over
    /// a 4096-token vocabulary, sharp and flat logits, and a sequence that grows by one token per call.
    /// Tolerance 1e-5 absolute per probability: only float summation orders differ (masses are summed
    /// in Double on both sides, so the nucleus boundary is the same token).
    func testFastPathsMatchTheFullSortReference() {
        var rng = SplitMix64(seed: 7)
        let n = 4096
        let settings: [SamplingParameters] = [
            SamplingParameters(temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.05, presencePenalty: 1.5),
            SamplingParameters(temperature: 1, topP: 0.9),
            SamplingParameters(temperature: 1.3, topK: 1000),
            SamplingParameters(temperature: 1, repetitionPenalty: 1.2),
            SamplingParameters(temperature: 0.5, topP: 0.999),
        ]
        for p in settings {
            for scale: Float in [0.5, 8] {  // flat and sharp distributions
                var sampler = Sampler(p)
                var context = (0..<50).map { _ in Int(rng.next() % UInt64(n)) }
                var generated: [Int] = []
                for _ in 0..<4 {
                    let logits = (0..<n).map { _ in (rng.nextUnitFloat() - 0.5) * scale }
                    var l = logits
                    let fast = l.withUnsafeMutableBufferPointer { sampler.distribution($0, context: context, generated: generated) }
                    let reference = referenceDistribution(logits, p, context: context, generated: generated)
                    XCTAssertEqual(Set(fast.map(\.token)), Set(reference.keys), "\(p) scale \(scale)")
                    for (token, probability) in fast {
                        XCTAssertEqual(probability, reference[token] ?? -1, accuracy: 1e-5)
                    }
                    XCTAssertEqual(fast.map(\.probability), fast.map(\.probability).sorted(by: >))
                    let next = fast[0].token
                    context.append(next)
                    generated.append(next)
                }
            }
        }
    }

    /// A sampler reused for a new generation (a sequence that does not extend the last one) forgets
    /// the old tokens.
    func testPenaltiesStartOverForANewSequence() {
        var sampler = Sampler(SamplingParameters(repetitionPenalty: 2))
        var l: [Float] = [4, 3, 1]
        XCTAssertEqual(l.withUnsafeMutableBufferPointer { sampler.sample($0, context: [0, 2], generated: []) }, 1)
        l = [4, 3, 1]
        XCTAssertEqual(l.withUnsafeMutableBufferPointer { sampler.sample($0, context: [1], generated: []) }, 0)
        XCTAssertEqual(l, [4, 1.5, 1])
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
        // A caller's deadline: `shouldContinue` is asked before each token; the third no ends it.
        var asked = 0
        let interrupted = try Generator(decoder: model.makeDecoder(contextCapacity: 64), stopTokenIds: [])
            .generate(prompt: c.ids, maxTokens: 10, sampler: &greedy, shouldContinue: { asked += 1; return asked <= 2 })
        XCTAssertEqual(interrupted.tokens, Array(c.greedy.prefix(2)))
        XCTAssertEqual(interrupted.stopReason, .interrupted)
    }
}
