// Qwen3VL: choosing the next token from logits.
// Processor order and formulas follow transformers `generation/logits_process.py`
// (RepetitionPenaltyLogitsProcessor → TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper);
// the presence penalty follows vLLM (`sampling_params.py`: subtracted once from every token already generated),
// which is how Qwen's recommended `presence_penalty 1.5` is meant.
import Tensors

/// Sampling settings. `temperature == 0` means greedy.
public struct SamplingParameters: Equatable, Sendable {
    public var temperature: Float
    /// 0 disables top-k.
    public var topK: Int
    /// 1 disables top-p.
    public var topP: Float
    /// 1 disables; > 1 discourages any token seen in the prompt or output (HF semantics).
    public var repetitionPenalty: Float
    /// 0 disables; subtracted from the logit of every token already generated.
    public var presencePenalty: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, repetitionPenalty: Float = 1,
                presencePenalty: Float = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.seed = seed
    }

    public static let greedy = SamplingParameters()

    public var isGreedy: Bool { temperature == 0 }

    /// Checks ranges a user could get wrong on the command line.
    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> Qwen3VLError {
            .invalidConfiguration(file: "sampling", field: field, reason: reason)
        }
        guard temperature.isFinite, temperature >= 0 else { throw bad("temperature", "must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw bad("top-k", "must be ≥ 0, got \(topK)") }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw bad("top-p", "must be in (0, 1], got \(topP)") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw bad("repetition-penalty", "must be > 0, got \(repetitionPenalty)")
        }
        guard presencePenalty.isFinite else { throw bad("presence-penalty", "must be finite") }
    }
}

/// Picks tokens. A protocol so tests and the agent can substitute a scripted sampler.
public protocol TokenSampler {
    /// Chooses a token from `logits` (modified in place by penalties); `context` is prompt + generated
    /// tokens, `generated` the generated ones.
    mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int], generated: [Int]) -> Int
}

/// The standard sampler: penalties, then greedy or temperature / top-k / top-p with a seeded generator.
///
/// Per token it does O(new tokens) work for the penalties (the seen-token sets grow with the sequence
/// instead of being rebuilt) and O(vocabulary) for the warpers: top-k keeps a heap of k candidates, top-p
/// sorts only the tokens within a logit margin of the best whose mass already reaches top_p (the nucleus
/// is a prefix of them), and plain temperature sampling sorts nothing.
public struct Sampler: TokenSampler {
    public let parameters: SamplingParameters
    private var random: SplitMix64
    private var candidates: [(index: Int, logit: Float)] = []
    private var contextSeen = SeenTokens()
    private var generatedSeen = SeenTokens()

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SplitMix64(seed: parameters.seed)
    }

    public mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int], generated: [Int]) -> Int {
        let p = parameters
        guard let base = logits.baseAddress, logits.count > 0 else { return 0 }
        applyPenalties(logits, context: context, generated: generated)
        if p.isGreedy { return Kernels.argmax(base, n: logits.count) }
        let (tokens, weights, sum) = warped(logits)
        let u = random.nextUnitFloat() * sum
        var acc: Float = 0
        for (k, w) in weights.enumerated() {
            acc += w
            if u < acc { return tokens[k] }
        }
        return tokens[weights.count - 1]
    }

    /// The distribution `sample` draws from: (token, probability) pairs in descending probability (index
    /// breaks ties), after penalties, temperature, top-k and top-p. Greedy: the argmax with probability 1.
    /// Penalties modify `logits`.
    public mutating func distribution(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int],
                                      generated: [Int]) -> [(token: Int, probability: Float)] {
        guard let base = logits.baseAddress, logits.count > 0 else { return [] }
        applyPenalties(logits, context: context, generated: generated)
        if parameters.isGreedy { return [(Kernels.argmax(base, n: logits.count), 1)] }
        let (tokens, weights, sum) = warped(logits)
        return zip(tokens, weights).map { ($0, $1 / sum) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    private mutating func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int], generated: [Int]) {
        let p = parameters, n = logits.count
        if p.repetitionPenalty != 1 {
            // score = where(score < 0, score * penalty, score / penalty), once per distinct token.
            contextSeen.update(context, vocabulary: n)
            for t in contextSeen.distinct {
                logits[t] = logits[t] < 0 ? logits[t] * p.repetitionPenalty : logits[t] / p.repetitionPenalty
            }
        }
        if p.presencePenalty != 0 {
            generatedSeen.update(generated, vocabulary: n)
            for t in generatedSeen.distinct { logits[t] -= p.presencePenalty }
        }
    }

    /// Orders candidates: higher logit first, lower index first among equals (deterministic).
    private static func before(_ a: (index: Int, logit: Float), _ b: (index: Int, logit: Float)) -> Bool {
        a.logit != b.logit ? a.logit > b.logit : a.index < b.index
    }

    /// Temperature, top-k, top-p: the surviving tokens with unnormalised weights — in descending order
    /// when top-k or top-p truncated the distribution, in index order otherwise.
    private mutating func warped(_ logits: UnsafeMutableBufferPointer<Float>) -> (tokens: [Int], weights: [Float], sum: Float) {
        let p = parameters, n = logits.count
        candidates.removeAll(keepingCapacity: true)
        if p.topK > 0 && p.topK < n {
            selectTopK(logits, k: p.topK)
        } else {
            for i in 0..<n { candidates.append((i, logits[i] / p.temperature)) }
        }
        let maximum = candidates.reduce(-Float.infinity) { max($0, $1.logit) }
        guard p.topP < 1 else {
            let weights = candidates.map { expf($0.logit - maximum) }
            return (candidates.map(\.index), weights, weights.reduce(0, +))
        }
        // Softmax mass of everything, then the nucleus: the smallest descending prefix whose mass reaches
        // top_p (at least one token); transformers' "remove tokens whose ascending cumulative probability
        // ≤ 1 − top_p". Every token within a margin of the best forms a descending prefix; once that
        // prefix's mass reaches top_p the nucleus lies inside it, so only it is sorted.
        // Masses are summed in Double: the nucleus boundary then does not depend on summation order.
        let total = candidates.reduce(0.0) { $0 + Double(expf($1.logit - maximum)) }
        var prefix: [(index: Int, logit: Float)] = candidates
        for margin: Float in [4, 8, 16, 32] {
            let inside = candidates.filter { $0.logit >= maximum - margin }
            if inside.reduce(0.0, { $0 + Double(expf($1.logit - maximum)) }) >= Double(p.topP) * total {
                prefix = inside
                break
            }
        }
        prefix.sort(by: Self.before)
        var weights: [Float] = []
        var cumulative = 0.0
        for c in prefix {
            let w = expf(c.logit - maximum)
            weights.append(w)
            cumulative += Double(w)
            if cumulative >= Double(p.topP) * total { break }
        }
        return (prefix.prefix(weights.count).map(\.index), weights, weights.reduce(0, +))
    }

    /// Fills `candidates` with the k best tokens (temperature applied), best first: a min-heap of k
    /// whose root is the worst kept candidate, so each further token costs one comparison unless it
    /// enters the heap.
    private mutating func selectTopK(_ logits: UnsafeMutableBufferPointer<Float>, k: Int) {
        let t = parameters.temperature
        // `worse(a, b)`: a would be dropped before b.
        func worse(_ a: (index: Int, logit: Float), _ b: (index: Int, logit: Float)) -> Bool { Self.before(b, a) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < candidates.count && worse(candidates[l], candidates[m]) { m = l }
                if r < candidates.count && worse(candidates[r], candidates[m]) { m = r }
                if m == i { return }
                candidates.swapAt(i, m)
                i = m
            }
        }
        for i in 0..<k { candidates.append((i, logits[i] / t)) }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for i in k..<logits.count {
            let c = (index: i, logit: logits[i] / t)
            if worse(candidates[0], c) {
                candidates[0] = c
                siftDown(0)
            }
        }
        candidates.sort(by: Self.before)
    }
}

/// The distinct tokens of a growing sequence, kept across calls: a call whose sequence extends the
/// last one adds only the new tokens; any other sequence (a new generation) starts over.
struct SeenTokens {
    private(set) var distinct: [Int] = []
    private var sequence: [Int] = []
    private var bits: [UInt64] = []

    mutating func update(_ tokens: [Int], vocabulary n: Int) {
        let extends = tokens.count >= sequence.count && bits.count == (n + 63) / 64
            && tokens.withUnsafeBufferPointer { t in
                sequence.withUnsafeBufferPointer { s in
                    s.isEmpty || memcmp(t.baseAddress!, s.baseAddress!, s.count * MemoryLayout<Int>.stride) == 0
                }
            }
        if !extends {
            distinct.removeAll(keepingCapacity: true)
            sequence.removeAll(keepingCapacity: true)
            bits = [UInt64](repeating: 0, count: (n + 63) / 64)
        }
        for t in tokens[sequence.count...] where t >= 0 && t < n {
            let word = t >> 6, bit = UInt64(1) << UInt64(t & 63)
            if bits[word] & bit == 0 {
                bits[word] |= bit
                distinct.append(t)
            }
        }
        sequence.append(contentsOf: tokens[sequence.count...])
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same sequence on every platform for a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
