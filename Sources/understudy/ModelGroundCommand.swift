// `understudy model ground MODEL --image F.png --target TEXT`: ask the model where TEXT is, print JSON with the
// answer mapped to pixels of the original image. Contract: docs/architecture.md "Command-line contract".
import ArgumentParser
import Foundation
import Imaging
import Qwen3VL

extension ModelCommand {
    struct Ground: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Locate TEXT in an image; prints JSON with the point and/or box in pixels of the original image.",
            discussion: "An answer that is not a point_2d/bbox_2d grounding is an error (exit 1) that quotes it.")

        @Argument(help: "A Hugging Face Qwen3-VL model directory (with tokenizer files).")
        var model: String

        @Option(help: ArgumentHelp("The image to look at.", valueName: "F.png"))
        var image: String

        @Option(help: "What to locate, in words (e.g. \"the Save button\").")
        var target: String

        @OptionGroup var budget: ImageBudgetOptions

        @Option(help: "Most tokens the answer may take.")
        var maxTokens = 128

        func validate() throws {
            if let problem = GroundingPrompt.problem(withTarget: target) { throw ValidationError("--target: \(problem)") }
            guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be ≥ 1") }
        }

        struct Output: Encodable {
            struct Size: Encodable { let width, height: Int }
            struct Item: Encodable {
                let label: String?
                let point: [Int]?
                let box: [Int]?
                let gridPoint: [Double]?
                let gridBox: [Double]?
            }
            let image: String
            let imageSize: Size
            let resizedSize: Size
            let target: String
            let groundings: [Item]
            let answer: String
        }

        func run() async throws {
            configureThreads()
            try withUserFacingErrors {
                let tokenizer = try PromptTokenizer.load(directory: model)
                let loaded = try Qwen3VLModel(directory: model)
                let processed = try VisionInputs.process([image], model: loaded, budget: budget)
                let ids = try tokenizer.encode(ChatPrompt.user(text: GroundingPrompt.instruction(target: target), imageCount: 1))
                let prompt = try VisionInputs.prompt(ids: ids, images: processed, model: loaded)
                let decoder = loaded.makeDecoder(contextCapacity: prompt.tokens.count + maxTokens,
                                                 batchCapacity: min(prompt.tokens.count, 256))
                var greedy = Sampler(.greedy)
                let result = try Generator(decoder: decoder, stopTokenIds: loaded.stopTokenIds)
                    .generate(prompt: [], maxTokens: maxTokens, sampler: &greedy, multimodal: prompt)
                let answer = tokenizer.decode(result.tokens.filter { !loaded.stopTokenIds.contains($0) })
                log(String(format: "answer in %.2f s prefill + %.2f s decode (%d tokens)", result.prefillSeconds,
                           result.decodeSeconds, result.tokens.count))
                let groundings: [Grounding]
                do { groundings = try GroundingParser.parse(answer) } catch {
                    log("answer: \(answer)")
                    throw error
                }
                let p = processed[0]
                let items = try groundings.map { g -> Output.Item in
                    let px = try g.pixels(width: p.originalWidth, height: p.originalHeight)
                    return Output.Item(label: g.label, point: px.point, box: px.box,
                                       gridPoint: g.point.map { [$0.x, $0.y] },
                                       gridBox: g.box.map { [$0.x1, $0.y1, $0.x2, $0.y2] })
                }
                let output = Output(image: image, imageSize: .init(width: p.originalWidth, height: p.originalHeight),
                                    resizedSize: .init(width: p.resizedWidth, height: p.resizedHeight),
                                    target: target, groundings: items, answer: answer)
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            }
        }
    }
}
