// The native Qwen3-VL engine as a planner (`--model DIR`, a Hugging Face model directory: config.json,
// *.safetensors, preprocessor_config.json, tokenizer.json).
//
// Loaded once: the text decoder's weights, the vision tower, the image processor and the tokenizer. Each
// turn: the prompt text rendered by the real chat template (`NativePrompt`), tokenized; the screenshot
// decoded from the request's PNG, resized by smart_resize under the pixel budget and encoded by the vision
// tower; its one image token expanded to the image's token count (`MultimodalPrompt`); greedy generation up
// to `maxTokens`, stopping at the checkpoint's eos ids; the tokens decoded to the raw reply text. Like every
// planner it only returns text: `ToolCallParser` decides what, if anything, it means.

import Foundation
import Imaging
import Qwen3VL
import Tokenization

/// What one turn feeds the engine, before the image is encoded.
public struct NativePlannerInput: Sendable {
    /// The rendered chat-template text (one `<|image_pad|>`).
    public let text: String
    /// `text` tokenized: one image token for the screenshot.
    public let ids: [Int]
    /// The screenshot resized and patchified for the vision tower.
    public let image: ProcessedImage
}

public actor NativePlanner: Planner {
    public static let defaultMaxTokens = 256

    /// `native:DIR`; recorded in session_start as `model_id`.
    public nonisolated let identity: String
    public nonisolated let directory: String
    /// The directory's `ModelFingerprint`: SHA-256 over every model file, weights included; session_start's
    /// `weight_hash`.
    public nonisolated let weightHash: String
    /// Generation stops after this many tokens (agents decode greedily; the budget bounds a turn's time).
    public nonisolated let maxTokens: Int
    /// smart_resize's bounds for the screenshot: at most the agent's pixel budget and the processor's maximum.
    public nonisolated let budget: PixelBudget

    let model: Qwen3VLModel
    let encoder: VisionEncoder
    let processor: ImageProcessor
    let tokenizer: Tokenizer
    let builder = PromptBuilder()
    /// The decoder of the last turn and the prompt its cache was filled with: every turn starts with the
    /// same system text (instructions and the tool schema) before the screenshot, so those positions are
    /// kept instead of being computed again.
    private var previous: (decoder: TextDecoder, tokens: [Int])?
    /// Cached positions the last turn kept (0 on the first turn).
    public private(set) var lastReusedPrefix = 0

    /// Loads the directory. `pixelBudget` is the loop's (`--pixel-budget`): the screenshot the loop sends is
    /// already at most that many pixels, and smart_resize keeps the model's input within it too.
    public init(directory: String, pixelBudget: Int = 1280 * 800, maxTokens: Int = NativePlanner.defaultMaxTokens) throws {
        guard maxTokens >= 1 else { throw AgentError.configuration("the native engine needs maxTokens ≥ 1 (got \(maxTokens))") }
        let model: Qwen3VLModel
        let processor: ImageProcessor
        do {
            model = try Qwen3VLModel(directory: directory)
            processor = try model.imageProcessor()
        } catch {
            throw AgentError.modelUnusable(path: directory, reason: "\(error)")
        }
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(directory: URL(fileURLWithPath: directory)) } catch {
            throw AgentError.modelUnusable(path: directory, reason: "tokenizer: \(error)")
        }
        // The tokenizer must spell the placeholders with the ids the model's config.json gives them.
        let c = model.configuration
        for (token, id) in [("<|vision_start|>", c.visionStartTokenId), ("<|image_pad|>", c.imageTokenId),
                            ("<|vision_end|>", c.visionEndTokenId)] {
            let found = tokenizer.id(forToken: token)
            guard found == id else {
                throw AgentError.modelUnusable(path: directory, reason: "tokenizer.json gives \(token) the id "
                    + "\(found.map(String.init) ?? "none"), config.json says \(id)")
            }
        }
        let file = processor.configuration.budget
        let maxPixels = min(pixelBudget, file.maxPixels)
        do { budget = try PixelBudget(minPixels: min(file.minPixels, maxPixels), maxPixels: maxPixels) } catch {
            throw AgentError.configuration("pixel budget \(pixelBudget) for the native engine: \(error)")
        }
        let encoder: VisionEncoder
        do { encoder = try model.makeVisionEncoder() } catch {
            throw AgentError.modelUnusable(path: directory, reason: "vision tower: \(error)")
        }
        weightHash = try ModelFingerprint.sha256(directory: directory)
        self.directory = directory
        self.maxTokens = maxTokens
        self.model = model
        self.processor = processor
        self.tokenizer = tokenizer
        self.encoder = encoder
        identity = "native:\(directory)"
    }

    public func propose(_ request: PlanRequest) async throws -> PlannerTurn {
        let deadline = request.secondsLeft.map { Deadline(seconds: $0) }
        let input = try prepare(request)
        let text = try generate(input, deadline: deadline)
        return PlannerTurn(text: text, prompt: input.text)
    }

    /// The end of the session's time budget on the monotonic clock. The turn checks it before encoding
    /// the screenshot, after encoding it, and before each generated token (the prefill and the vision
    /// tower run to the end once started, so a turn can overrun by one of them).
    struct Deadline {
        let seconds: Double
        let end: UInt64
        init(seconds: Double) {
            self.seconds = seconds
            end = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, min(seconds, 1e9)) * 1e9)
        }
        var passed: Bool { DispatchTime.now().uptimeNanoseconds >= end }
        func check(_ during: String) throws {
            if passed { throw AgentError.timeBudgetExhausted(seconds: seconds, during: during) }
        }
    }

    /// The prompt text, its ids and the processed screenshot for one turn.
    public func prepare(_ request: PlanRequest) throws -> NativePlannerInput {
        let text = try NativePrompt.render(request, builder: builder)
        let ids = tokenizer.encode(text)
        let image: ProcessedImage
        do {
            let decoded = try Image(pngData: request.screenshot.png)
            image = try processor.process(try RGB8Buffer(decoded), budget: budget)
        } catch {
            throw AgentError.engineFailed("screenshot \(request.screenshot.width)x\(request.screenshot.height): \(error)")
        }
        return NativePlannerInput(text: text, ids: ids, image: image)
    }

    /// The prompt with the screenshot encoded and its token expanded, as the decoder prefills it.
    public func multimodalPrompt(_ input: NativePlannerInput) throws -> MultimodalPrompt {
        do {
            let features = try encoder.encode([input.image])
            return try MultimodalPrompt.build(ids: input.ids, imageTokenId: model.configuration.imageTokenId, features: features)
        } catch {
            throw AgentError.engineFailed("encoding the screenshot: \(error)")
        }
    }

    /// Greedy generation; the reply text without the stop token.
    func generate(_ input: NativePlannerInput, deadline: Deadline? = nil) throws -> String {
        try deadline?.check("the screenshot's encoding")
        let prompt = try multimodalPrompt(input)
        try deadline?.check("the screenshot's encoding")
        let stop = model.stopTokenIds
        let result: GenerationResult
        do {
            let needed = prompt.tokens.count + maxTokens
            try model.checkContext(needed)
            // Keep the positions this prompt shares with the last one, up to its image (text before the
            // first image sits at the same positions every turn). A decoder too small is replaced, with
            // room to grow, and starts empty.
            let decoder: TextDecoder
            var reused = 0
            if let previous, previous.decoder.cache.capacity >= needed {
                decoder = previous.decoder
                let limit = min(prompt.visualPositions.first ?? 0, previous.tokens.count, prompt.tokens.count - 1)
                while reused < limit && previous.tokens[reused] == prompt.tokens[reused] { reused += 1 }
            } else {
                let capacity = min(needed + needed / 2, model.configuration.text.maxPositionEmbeddings)
                decoder = model.makeDecoder(contextCapacity: max(needed, capacity), batchCapacity: 256)
            }
            previous = nil  // the cache is rewritten below; until that succeeds nothing in it is vouched for
            var greedy = Sampler(.greedy)
            result = try Generator(decoder: decoder, stopTokenIds: stop)
                .generate(prompt: prompt.tokens, maxTokens: maxTokens, sampler: &greedy, multimodal: prompt,
                          reusingCachedPrefix: reused, shouldContinue: { !(deadline?.passed ?? false) })
            previous = (decoder, prompt.tokens)
            lastReusedPrefix = reused
        } catch {
            throw AgentError.engineFailed("generation (\(prompt.tokens.count) prompt tokens): \(error)")
        }
        if result.stopReason == .interrupted, let deadline {
            throw AgentError.timeBudgetExhausted(seconds: deadline.seconds, during: "generation, after \(result.tokens.count) tokens")
        }
        return tokenizer.decode(result.tokens.filter { !stop.contains($0) })
    }
}
