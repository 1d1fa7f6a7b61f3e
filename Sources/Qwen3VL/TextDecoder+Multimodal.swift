// Qwen3VL: prefill with images — merger rows at the image positions, DeepStack after the first layers,
// 3-axis positions, and the rope delta carried into decoding.
// Ported from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLModel.forward,
// Qwen3VLTextModel._deepstack_process). Reference notes §4.1, §4.4.

extension TextDecoder {
    /// Starts a new sequence with `prompt` and returns the logits of its last token `[V]`. Afterwards `decode`
    /// continues at positions `cache index + ropeDelta`; DeepStack touches the prompt's image positions only.
    @discardableResult
    public func prefill(_ prompt: MultimodalPrompt) throws -> UnsafeMutableBufferPointer<Float> {
        reset()
        return try prefill(prompt, from: 0)
    }

    /// Like `prefill(_:)`, but keeps the first `reused` positions already in the cache: the caller
    /// vouches that the cache holds `prompt.tokens[..<reused]` at the same positions, computed by an
    /// earlier prefill of this decoder (a prompt that starts like the previous one: the same system
    /// text before the image). Only the rest is computed. `reused` must lie before the first image
    /// token and within what is cached.
    @discardableResult
    public func prefill(_ prompt: MultimodalPrompt, reusingCachedPrefix reused: Int) throws -> UnsafeMutableBufferPointer<Float> {
        let firstImage = prompt.visualPositions.first ?? prompt.tokens.count
        guard reused >= 0, reused <= cache.length, reused <= firstImage, reused < prompt.tokens.count else {
            throw Qwen3VLError.invalidPrefixReuse(reused: reused, cached: cache.length, firstImage: firstImage,
                                                  tokens: prompt.tokens.count)
        }
        cache.length = reused
        ropeDelta = 0
        return try prefill(prompt, from: reused)
    }

    private func prefill(_ prompt: MultimodalPrompt, from first: Int) throws -> UnsafeMutableBufferPointer<Float> {
        let tokens = prompt.tokens
        guard !tokens.isEmpty else { throw Qwen3VLError.emptyPrompt }
        try checkFits(Array(tokens[first...]))
        var start = first
        while start < tokens.count {
            let end = min(start + state.batchCapacity, tokens.count)
            try forward(Array(tokens[start..<end]), positions: prompt.positions.slice(start..<end),
                        allLogits: false, wantLogits: end == tokens.count, chunkStart: start, multimodal: prompt)
            start = end
        }
        ropeDelta = prompt.ropeDelta
        return UnsafeMutableBufferPointer(start: state.logits.pointer, count: configuration.vocabSize)
    }

    /// Logits at every position of `prompt` as a new sequence, row-major `[T, V]`. Needs a decoder made with
    /// `allPositionLogits: true` whose batch capacity holds the prompt's longest chunk.
    public func logitsForAllPositions(_ prompt: MultimodalPrompt) throws -> [Float] {
        reset()
        let tokens = prompt.tokens, v = configuration.vocabSize
        guard !tokens.isEmpty else { throw Qwen3VLError.emptyPrompt }
        try checkFits(tokens)
        var out = [Float]()
        out.reserveCapacity(tokens.count * v)
        var start = 0
        while start < tokens.count {
            let end = min(start + state.batchCapacity, tokens.count)
            guard state.logits.rows >= end - start else { throw Qwen3VLError.allPositionLogitsNotAllocated }
            try forward(Array(tokens[start..<end]), positions: prompt.positions.slice(start..<end),
                        allLogits: true, wantLogits: true, chunkStart: start, multimodal: prompt)
            out.append(contentsOf: UnsafeBufferPointer(start: state.logits.pointer, count: (end - start) * v))
            start = end
        }
        ropeDelta = prompt.ropeDelta
        return out
    }
}
