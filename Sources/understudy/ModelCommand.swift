// `understudy model info|logits|generate`: a thin command line over the Qwen3VL engine.
// Contract: docs/architecture.md "Command-line contract". stdout carries results only; logs go to stderr.
import ArgumentParser
import Foundation
import ModelFormats
import Qwen3VL
import Tensors
import Tokenization

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect and run a local Qwen3-VL model.",
        subcommands: [Info.self, TokenizeCommand.self, Logits.self, Generate.self, Ground.self])
}

/// The tokenizer behind `--prompt`. The engine sees only `TokenEncoding`; this is the one place the command
/// line picks the implementation: the byte-level BPE tokenizer read from MODEL/tokenizer.json.
enum PromptTokenizer {
    struct BPE: TokenEncoding {
        let tokenizer: Tokenizer
        func encode(_ text: String) throws -> [Int] { tokenizer.encode(text) }
        func decode(_ ids: [Int]) -> String { tokenizer.decode(ids) }
    }

    static func load(directory: String) throws -> TokenEncoding {
        BPE(tokenizer: try Tokenizer(directory: URL(fileURLWithPath: directory)))
    }
}

/// MODEL, the prompt (text or ids) and images, shared by `logits` and `generate`.
struct ModelInputOptions: ParsableArguments {
    @Argument(help: "A Hugging Face Qwen3-VL model directory (config.json, *.safetensors).")
    var model: String

    @Option(help: "Prompt text (needs the tokenizer files in MODEL).")
    var prompt: String?

    @Option(help: "Raw token ids, comma- or space-separated; needs no tokenizer files.")
    var ids: String?

    @Option(name: .customLong("image"), help: ArgumentHelp(
        "A PNG for each image_token_id in --ids, in order (with --prompt: placed before the text in the chat turn).",
        valueName: "F.png"))
    var images: [String] = []

    @OptionGroup var budget: ImageBudgetOptions

    func validate() throws {
        guard (prompt == nil) != (ids == nil) else {
            throw ValidationError("give exactly one of --prompt TEXT or --ids N,N,...")
        }
        if let ids { _ = try Self.parseIds(ids) }
    }

    static func parseIds(_ text: String) throws -> [Int] {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" })
        guard !parts.isEmpty else { throw ValidationError("--ids has no token ids") }
        return try parts.map { part in
            guard let id = Int(part), id >= 0 else { throw ValidationError("--ids: '\(part)' is not a token id") }
            return id
        }
    }

    /// The prompt as token ids. With images, a text prompt becomes a chat turn with the images' placeholders
    /// first unless it already spells `<|image_pad|>` itself.
    func tokens() throws -> [Int] {
        if let ids { return try Self.parseIds(ids) }
        var text = prompt ?? ""
        if !images.isEmpty && !text.contains("<|image_pad|>") { text = ChatPrompt.user(text: text, imageCount: images.count) }
        return try PromptTokenizer.load(directory: model).encode(text)
    }

    /// The prompt with its images encoded and placed, or nil without `--image`.
    func multimodal(_ tokens: [Int], model loaded: Qwen3VLModel) throws -> MultimodalPrompt? {
        guard !images.isEmpty else { return nil }
        let processed = try VisionInputs.process(images, model: loaded, budget: budget)
        return try VisionInputs.prompt(ids: tokens, images: processed, model: loaded)
    }
}

/// Runs `body`, printing an engine error as one clear `error: …` line on stderr (exit 1) instead of
/// ArgumentParser's dump of the value; usage errors keep ArgumentParser's handling (exit 64).
func withUserFacingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

func configureThreads() { BLAS.setThreadCount(ProcessInfo.processInfo.activeProcessorCount) }

extension ModelCommand {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a model directory; checks every text and vision tensor's name and shape without loading it.")

        @Argument(help: "A Hugging Face Qwen3-VL model directory.")
        var model: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try withUserFacingErrors {
                let summary = try ModelSummary(directory: model)
                if json {
                    let encoder = JSONEncoder()
                    encoder.keyEncodingStrategy = .convertToSnakeCase
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
                } else {
                    summary.lines.forEach { print($0) }
                }
            }
        }
    }

    struct Logits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the model's logits for a prompt to a .npy file ([positions, vocab], float32).")

        @OptionGroup var input: ModelInputOptions

        @Option(help: "Output .npy file.")
        var out: String

        @Flag(help: "Logits at every prompt position instead of the last only.")
        var allPositions = false

        func run() async throws {
            configureThreads()
            try withUserFacingErrors {
                let tokens = try input.tokens()
                let t0 = Date()
                let model = try Qwen3VLModel(directory: input.model)
                log(String(format: "loaded %@ in %.2f s", input.model, Date().timeIntervalSince(t0)))
                let vocab = model.configuration.text.vocabSize
                try model.checkPrompt(tokens, imageCount: input.images.count)
                let multimodal = try input.multimodal(tokens, model: model)
                let sequence = multimodal?.tokens ?? tokens
                try model.checkContext(sequence.count)
                let decoder = model.makeDecoder(contextCapacity: sequence.count, batchCapacity: min(sequence.count, 256),
                                                allPositionLogits: allPositions)
                let t1 = Date()
                let values: [Float]
                let shape: [Int]
                if allPositions {
                    values = try multimodal.map { try decoder.logitsForAllPositions($0) } ?? decoder.logitsForAllPositions(tokens)
                    shape = [sequence.count, vocab]
                } else {
                    values = Array(try multimodal.map { try decoder.prefill($0) } ?? decoder.prefill(tokens))
                    shape = [1, vocab]
                }
                log(String(format: "%d tokens in %.3f s", sequence.count, Date().timeIntervalSince(t1)))
                try NPYFile.write(shape: shape, values: values, to: out)
                log("wrote \(out) \(shape)")
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a continuation; stops at the checkpoint's eos tokens (<|im_end|>, <|endoftext|>).")

        @OptionGroup var input: ModelInputOptions

        @Option(help: "Most tokens to generate.")
        var maxTokens = 256

        @Flag(help: "Greedy decoding (the default when --temperature is not given).")
        var greedy = false

        @Option(help: "Sampling temperature (0 = greedy).")
        var temperature: Float?

        @Option(help: "Nucleus sampling mass (1 disables).")
        var topP: Float = 1

        @Option(help: "Sample among the K most likely tokens (0 disables).")
        var topK: Int = 0

        @Option(help: "Random seed for sampling.")
        var seed: UInt64 = 0

        @Option(help: "Repetition penalty as in transformers (1 disables).")
        var repetitionPenalty: Float = 1

        @Option(help: "Subtracted from the logit of every token already generated (0 disables).")
        var presencePenalty: Float = 0

        @Flag(help: "Print the generated token ids, space-separated on one line, instead of text.")
        var printIds = false

        func validate() throws {
            if greedy && temperature != nil { throw ValidationError("--greedy and --temperature exclude each other") }
            guard maxTokens >= 0, maxTokens <= 1 << 24 else { throw ValidationError("--max-tokens must be in 0...\(1 << 24)") }
            do { try sampling.validate() } catch { throw ValidationError("\(error)") }
        }

        var sampling: SamplingParameters {
            SamplingParameters(temperature: greedy ? 0 : (temperature ?? 0), topK: topK, topP: topP,
                               repetitionPenalty: repetitionPenalty, presencePenalty: presencePenalty, seed: seed)
        }

        func run() async throws {
            configureThreads()
            try withUserFacingErrors {
                let tokens = try input.tokens()
                let t0 = Date()
                let model = try Qwen3VLModel(directory: input.model)
                log(String(format: "loaded %@ in %.2f s", input.model, Date().timeIntervalSince(t0)))
                // Text output needs the tokenizer; without one, fall back to ids rather than fail after the work.
                var tokenizer: TokenEncoding?
                if !printIds {
                    do { tokenizer = try PromptTokenizer.load(directory: input.model) } catch {
                        log("note: \(error); printing token ids")
                    }
                }
                // "Up to N tokens": past the model's position limit the budget shrinks instead of failing.
                try model.checkPrompt(tokens, imageCount: input.images.count)
                let multimodal = try input.multimodal(tokens, model: model)
                let sequence = multimodal?.tokens ?? tokens
                try model.checkContext(sequence.count)
                let limit = model.configuration.text.maxPositionEmbeddings
                let budget = min(maxTokens, limit - sequence.count)
                if budget < maxTokens { log("note: --max-tokens reduced to \(budget) by max_position_embeddings \(limit)") }
                let decoder = model.makeDecoder(contextCapacity: sequence.count + budget,
                                                batchCapacity: min(sequence.count, 256))
                let generator = Generator(decoder: decoder, stopTokenIds: model.stopTokenIds)
                var sampler = Sampler(sampling)
                let result = try generator.generate(prompt: tokens, maxTokens: budget, sampler: &sampler,
                                                    multimodal: multimodal)
                if let tokenizer {
                    print(tokenizer.decode(result.tokens.filter { !model.stopTokenIds.contains($0) }))
                } else {
                    print(result.tokens.map(String.init).joined(separator: " "))
                }
                log(String(format: "prompt %d tokens: prefill %.3f s (%.1f tok/s); %d tokens generated, decode %.1f tok/s; stop: %@",
                           result.promptTokens, result.prefillSeconds,
                           Double(result.promptTokens) / max(result.prefillSeconds, 1e-9), result.tokens.count,
                           Double(result.decodeSteps) / max(result.decodeSeconds, 1e-9), "\(result.stopReason)"))
            }
        }
    }
}
