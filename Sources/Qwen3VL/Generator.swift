// Qwen3VL: the generation loop — prefill, then decode until a stop token or the token budget.
// Behaviour matches transformers `GenerationMixin.generate` for one sequence: the stop token that ends
// generation is included in the output, as HF includes the eos it produced.
import Dispatch

/// Why generation ended.
public enum StopReason: Equatable, Sendable {
    case stopToken(Int)
    case maxTokens
    /// `shouldContinue` said no (a caller's deadline).
    case interrupted
}

/// Generated tokens and the time spent.
public struct GenerationResult: Equatable, Sendable {
    public var tokens: [Int]
    public var stopReason: StopReason
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// Tokens produced by decode steps (the first generated token comes from the prefill).
    public var decodeSteps: Int
}

/// Runs a `TextDecoder` to produce tokens.
public struct Generator {
    public let decoder: TextDecoder
    public var stopTokenIds: Set<Int>

    public init(decoder: TextDecoder, stopTokenIds: Set<Int>) {
        self.decoder = decoder
        self.stopTokenIds = stopTokenIds
    }

    /// Generates up to `maxTokens` tokens after `prompt` (a fresh sequence). `onToken` sees each token as it
    /// is chosen, for streaming output; `shouldContinue` is asked before each token (after the prefill), and
    /// a no ends the generation with `.interrupted`.
    /// With `multimodal`, `prompt` is ignored in favour of its expanded tokens, images and positions, and
    /// `reused` positions already in the decoder's cache may be kept (`TextDecoder.prefill(_:reusingCachedPrefix:)`).
    public func generate<S: TokenSampler>(prompt: [Int], maxTokens: Int, sampler: inout S,
                                          multimodal: MultimodalPrompt? = nil,
                                          reusingCachedPrefix reused: Int = 0,
                                          shouldContinue: () -> Bool = { true },
                                          onToken: (Int) -> Void = { _ in }) throws -> GenerationResult {
        let prompt = multimodal?.tokens ?? prompt
        guard !prompt.isEmpty else { throw Qwen3VLError.emptyPrompt }
        if reused == 0 { decoder.reset() }
        let budget = max(0, min(maxTokens, decoder.cache.capacity - prompt.count + 1))
        var generated: [Int] = []
        var context = prompt
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits: UnsafeMutableBufferPointer<Float>
        if let multimodal {
            logits = reused > 0 ? try decoder.prefill(multimodal, reusingCachedPrefix: reused) : try decoder.prefill(multimodal)
        } else {
            guard reused == 0 else { throw Qwen3VLError.invalidPrefixReuse(reused: reused, cached: decoder.cache.length, firstImage: 0, tokens: prompt.count) }
            logits = try decoder.prefill(prompt)
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        var reason = StopReason.maxTokens
        var steps = 0
        while generated.count < budget {
            if !shouldContinue() { reason = .interrupted; break }
            let token = sampler.sample(logits, context: context, generated: generated)
            generated.append(token)
            context.append(token)
            onToken(token)
            if stopTokenIds.contains(token) { reason = .stopToken(token); break }
            if generated.count == budget { break }
            logits = try decoder.decode(token)
            steps += 1
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return GenerationResult(tokens: generated, stopReason: reason, promptTokens: prompt.count,
                                prefillSeconds: Double(t1 - t0) / 1e9, decodeSeconds: Double(t2 - t1) / 1e9,
                                decodeSteps: steps)
    }
}
