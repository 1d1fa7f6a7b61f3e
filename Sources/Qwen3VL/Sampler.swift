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
public struct Sampler: TokenSampler {
    public let parameters: SamplingParameters
    private var random: SplitMix64
    private var candidates: [(index: Int, logit: Float)] = []

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

    /// The distribution `sample` draws from: (token, probability) pairs in descending probability, after
    /// penalties, temperature, top-k and top-p. Greedy: the argmax with probability 1. Penalties modify `logits`.
    public mutating func distribution(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int],
                                      generated: [Int]) -> [(token: Int, probability: Float)] {
        guard let base = logits.baseAddress, logits.count > 0 else { return [] }
        applyPenalties(logits, context: context, generated: generated)
        if parameters.isGreedy { return [(Kernels.argmax(base, n: logits.count), 1)] }
        let (tokens, weights, sum) = warped(logits)
        return zip(tokens, weights).map { ($0, $1 / sum) }
    }

    private func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>, context: [Int], generated: [Int]) {
        let p = parameters, n = logits.count
        if p.repetitionPenalty != 1 {
            // score = where(score < 0, score * penalty, score / penalty), once per distinct token.
            for t in Set(context) where t >= 0 && t < n {
                logits[t] = logits[t] < 0 ? logits[t] * p.repetitionPenalty : logits[t] / p.repetitionPenalty
            }
        }
        if p.presencePenalty != 0 {
            for t in Set(generated) where t >= 0 && t < n { logits[t] -= p.presencePenalty }
        }
    }

    /// Temperature, top-k, top-p: the surviving tokens in descending order with unnormalised weights.
    private mutating func warped(_ logits: UnsafeMutableBufferPointer<Float>) -> (tokens: [Int], weights: [Float], sum: Float) {
        let p = parameters
        // Candidates sorted by logit (descending; index breaks ties for determinism).
        candidates.removeAll(keepingCapacity: true)
        for i in 0..<logits.count { candidates.append((i, logits[i] / p.temperature)) }
        candidates.sort { $0.logit != $1.logit ? $0.logit > $1.logit : $0.index < $1.index }
        if p.topK > 0 && p.topK < candidates.count { candidates.removeLast(candidates.count - p.topK) }

        // Softmax over the survivors.
        let maximum = candidates[0].logit
        var weights = candidates.map { expf($0.logit - maximum) }
        var sum = weights.reduce(0, +)
        if p.topP < 1 {
            // Keep the smallest prefix whose mass reaches top_p (at least one token); this is transformers'
            // "remove tokens whose ascending cumulative probability ≤ 1 − top_p".
            var cumulative: Float = 0
            var keep = 0
            for w in weights {
                cumulative += w / sum
                keep += 1
                if cumulative >= p.topP { break }
            }
            weights.removeLast(weights.count - keep)
            sum = weights.reduce(0, +)
        }
        return (candidates.prefix(weights.count).map(\.index), weights, sum)
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
