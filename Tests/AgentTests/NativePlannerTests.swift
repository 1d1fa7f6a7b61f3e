// The native engine as a planner. The model is the tiny random vision-language checkpoint the vision tests
// use (Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-a, 512-id vocabulary) with a tokenizer made for that
// vocabulary (Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json, scripts/make-tiny-tokenizer.py: Qwen's own
// first 504 tokens and 248 merges, the special tokens at the ids config.json names). Both are found through
// #filePath, so nothing is duplicated into a test bundle. A random model's replies are gibberish, so the
// tests check what the planner feeds the engine and that the loop handles what comes back.

import Foundation
import XCTest
import Actions
@testable import Agent
import Audit
import Desktop
import Imaging
import Policy
import Qwen3VL
import Tokenization

enum TinyModel {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let checkpoint = repository.appendingPathComponent("Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-a")
    static let tokenizer = repository.appendingPathComponent("Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json")

    static func loadTokenizer() throws -> Tokenizer { try Tokenizer(contentsOf: tokenizer) }
}

final class NativePromptTests: XCTestCase {
    func request(task: String = "Open the Save dialog.", history: [StepNote] = [], feedback: String? = nil) -> PlanRequest {
        PlanRequest(task: task, history: history, feedback: feedback, screenshot: ModelImage(png: [], width: 1280, height: 800))
    }

    /// The template renders our instructions + the tool as exactly PromptBuilder's system text, and the user
    /// turn as the image placeholder followed by PromptBuilder's user text.
    func testRenderedPromptIsTheTemplatesRenderingOfPromptBuildersTurns() throws {
        let history = [StepNote(index: 1, action: nil, outcome: .rejected("the reply contains no <tool_call> block"))]
        let r = request(history: history, feedback: "Your previous reply was rejected.")
        let text = try NativePrompt.render(r)
        let expected = "<|im_start|>system\n" + PromptBuilder().systemText + "<|im_end|>\n"
            + "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>" + PromptBuilder().userText(for: r)
            + "<|im_end|>\n<|im_start|>assistant\n"
        XCTAssertEqual(text, expected)
    }

    /// The tiny tokenizer reads the placeholders as the ids the tiny checkpoint's config.json names.
    func testTinyTokenizerEncodesThePlaceholdersAsTheCheckpointsIds() throws {
        let tokenizer = try TinyModel.loadTokenizer()
        let ids = tokenizer.encode(try NativePrompt.render(request()))
        XCTAssertEqual(ids.first, 505)  // <|im_start|>
        XCTAssertEqual(ids.filter { $0 == 509 }.count, 1)
        let image = try XCTUnwrap(ids.firstIndex(of: 509))
        XCTAssertEqual(ids[image - 1], 507)
        XCTAssertEqual(ids[image + 1], 508)
        XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < 512 })
        XCTAssertEqual(tokenizer.decode(ids), try NativePrompt.render(request()))
    }
}

final class ModelFingerprintTests: XCTestCase {
    func directory() throws -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-fp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func writeSafetensors(_ url: URL, values: [UInt8]) throws {
        let header = Array(#"{"w":{"dtype":"U8","shape":[\#(values.count)],"data_offsets":[0,\#(values.count)]}}"#.utf8)
        var bytes = (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xff) }
        bytes += header + values
        try Data(bytes).write(to: url)
    }

    /// sha256sum's digest of a file, or of `input` on stdin: the implementation the hash is checked against.
    func sha256sum(_ url: URL? = nil, input: Data = Data()) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [url?.path ?? "-"]
        let out = Pipe(), stdin = Pipe()
        p.standardOutput = out
        p.standardInput = stdin
        try p.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(text.prefix(64))
    }

    func testWeightHashCoversEveryByteOfEveryModelFile() throws {
        let dir = try directory()
        let config = dir.appendingPathComponent("config.json"), weights = dir.appendingPathComponent("model.safetensors")
        try Data(#"{"model_type":"qwen3_vl"}"#.utf8).write(to: config)
        try writeSafetensors(weights, values: [1, 2, 3, 4])
        // Files unrelated to the model are not part of it.
        try Data("notes".utf8).write(to: dir.appendingPathComponent("README.md"))
        let first = try ModelFingerprint.sha256(directory: dir.path)
        // The documented composition, with the per-file digests from sha256sum.
        func size(_ url: URL) throws -> Int { try Data(contentsOf: url).count }
        let list = "config.json\n\(try size(config))\n\(try sha256sum(config))\n"
            + "model.safetensors\n\(try size(weights))\n\(try sha256sum(weights))\n"
        XCTAssertEqual(first, try sha256sum(input: Data(list.utf8)))
        XCTAssertEqual(try ModelFingerprint.sha256(directory: dir.path), first)
        // One weight value changed, same layout: another hash.
        try writeSafetensors(weights, values: [1, 2, 3, 5])
        let changed = try ModelFingerprint.sha256(directory: dir.path)
        XCTAssertNotEqual(changed, first)
        // Another config: another hash.
        try Data(#"{"model_type":"qwen3_vl","x":1}"#.utf8).write(to: config)
        XCTAssertNotEqual(try ModelFingerprint.sha256(directory: dir.path), changed)
    }

    func testWeightHashRefusesADirectoryWithoutWeightsOrAnUnreadableShard() throws {
        let dir = try directory()
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelFingerprint.sha256(directory: dir.path)) { error in
            XCTAssertEqual(error as? AgentError, .modelUnusable(path: dir.path, reason: "no *.safetensors file"))
        }
        // A "shard" that is a directory cannot be read.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("model-00001-of-00002.safetensors"),
                                                withIntermediateDirectories: false)
        try writeSafetensors(dir.appendingPathComponent("model-00002-of-00002.safetensors"), values: [1])
        XCTAssertThrowsError(try ModelFingerprint.sha256(directory: dir.path)) { error in
            guard case .modelUnusable(let path, let reason)? = error as? AgentError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("model-00001-of-00002.safetensors"), path)
            XCTAssertTrue(reason.contains("cannot read it"), reason)
        }
    }
}

/// A model directory for the native planner: the tiny checkpoint's files and the tiny tokenizer, linked.
enum TinyModelDirectory {
    static func make(_ test: XCTestCase) throws -> String {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-tiny-vl-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "generation_config.json", "preprocessor_config.json", "model.safetensors"] {
            let source = TinyModel.checkpoint.appendingPathComponent(name)
            guard fm.fileExists(atPath: source.path) else { throw XCTSkip("tiny checkpoint missing: \(source.path)") }
            try fm.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: source)
        }
        try fm.createSymbolicLink(at: dir.appendingPathComponent("tokenizer.json"), withDestinationURL: TinyModel.tokenizer)
        return dir.path
    }
}

final class NativePlannerTests: XCTestCase {
    /// A fixed 320×200 screenshot: a gradient with a dark box, as PNG.
    func screenshot() throws -> ModelImage {
        let width = 320, height = 200
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let inBox = (100..<180).contains(x) && (60..<120).contains(y)
                pixels[i] = inBox ? 20 : UInt8(x * 255 / width)
                pixels[i + 1] = inBox ? 20 : UInt8(y * 255 / height)
                pixels[i + 2] = inBox ? 200 : 128
            }
        }
        let image = try Image(width: width, height: height, pixels: pixels)
        return ModelImage(png: try image.pngData(), width: width, height: height)
    }

    func request() throws -> PlanRequest {
        PlanRequest(task: "Click the blue box.", history: [], feedback: nil, screenshot: try screenshot())
    }

    /// (b) The ids are the tokenized template text with one image token between vision_start and vision_end;
    /// expanded, that token becomes exactly smart_resize's token count for the screenshot under the budget.
    func testPromptIdsCarryTheTemplateTextAndTheImagesTokenCount() async throws {
        let planner = try NativePlanner(directory: try TinyModelDirectory.make(self), pixelBudget: 1280 * 800, maxTokens: 8)
        let r = try request()
        let input = try await planner.prepare(r)
        XCTAssertEqual(input.text, try NativePrompt.render(r))
        XCTAssertEqual(input.ids, try TinyModel.loadTokenizer().encode(input.text))
        XCTAssertTrue(input.text.hasPrefix("<|im_start|>system\n" + PromptBuilder().systemText + "<|im_end|>\n"))

        // The tiny processor allows 9216…25600 pixels; 320×200 = 64000 is scaled down into that.
        XCTAssertEqual(planner.budget, try PixelBudget(minPixels: 9216, maxPixels: 25600))
        let size = try SmartResize.size(height: 200, width: 320, factor: 32, budget: planner.budget)
        let expected = (size.height / 32) * (size.width / 32)
        XCTAssertEqual(input.image.tokenCount, expected)
        XCTAssertEqual([input.image.resizedWidth, input.image.resizedHeight], [size.width, size.height])

        let prompt = try await planner.multimodalPrompt(input)
        let first = try XCTUnwrap(prompt.tokens.firstIndex(of: 509))
        let last = try XCTUnwrap(prompt.tokens.lastIndex(of: 509))
        XCTAssertEqual(prompt.tokens.filter { $0 == 509 }.count, expected)
        XCTAssertEqual(last - first + 1, expected, "the image tokens are one run")
        XCTAssertEqual(prompt.tokens[first - 1], 507)
        XCTAssertEqual(prompt.tokens[last + 1], 508)
        XCTAssertEqual(prompt.tokens.count, input.ids.count - 1 + expected)
        XCTAssertEqual(Array(prompt.tokens[..<first]), Array(input.ids[..<first]))
        XCTAssertEqual(Array(prompt.tokens[(last + 1)...]), Array(input.ids[(first + 1)...]))
    }

    /// The second turn keeps the cached system text (everything before the screenshot) and answers what
    /// a planner starting afresh answers for the same request.
    func testTheNextTurnKeepsTheCachedSystemTextAndAnswersTheSame() async throws {
        let directory = try TinyModelDirectory.make(self)
        let planner = try NativePlanner(directory: directory, maxTokens: 16)
        let first = try request()
        _ = try await planner.propose(first)
        let reusedOnFirst = await planner.lastReusedPrefix
        XCTAssertEqual(reusedOnFirst, 0)
        var next = first
        next.history = [StepNote(index: 1, action: #"{"action": "left_click", "coordinate": [500, 500]}"#, outcome: .executed)]
        next.feedback = "Look again."
        let turn = try await planner.propose(next)
        let expectedPrefix = try await planner.multimodalPrompt(try await planner.prepare(next)).visualPositions.first
        let reused = await planner.lastReusedPrefix
        XCTAssertEqual(reused, expectedPrefix, "every position before the screenshot is kept")
        XCTAssertGreaterThan(reused, 100, "the system text and tool schema")
        let fresh = try await NativePlanner(directory: directory, maxTokens: 16).propose(next)
        XCTAssertEqual(turn.text, fresh.text)
        XCTAssertEqual(turn.prompt, fresh.prompt)
    }

    /// The session's time budget bounds a turn: nothing left means no encoding and no generation, and
    /// the error is the budget's (the loop ends the session with exit 3), not an engine failure.
    func testATurnWithNoTimeLeftEndsOnTheBudget() async throws {
        let planner = try NativePlanner(directory: try TinyModelDirectory.make(self), maxTokens: 24)
        var r = try request()
        r.secondsLeft = 0
        do {
            _ = try await planner.propose(r)
            XCTFail("a turn with no time left answered")
        } catch let error as AgentError {
            guard case .timeBudgetExhausted(let seconds, let during) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(seconds, 0)
            XCTAssertEqual(during, "the screenshot's encoding")
        }
        // With time left the same request is answered.
        r.secondsLeft = 600
        let turn = try await planner.propose(r)
        XCTAssertFalse(turn.prompt.isEmpty)
    }

    /// (a) The planner's reply is what the engine's own generate path produces for the same prompt, built
    /// here independently: template text → tokenizer → processor → vision tower → greedy generation.
    func testReplyEqualsTheEnginesGreedyGenerationForTheSamePrompt() async throws {
        let directory = try TinyModelDirectory.make(self)
        let planner = try NativePlanner(directory: directory, maxTokens: 24)
        let r = try request()
        let turn = try await planner.propose(r)

        let model = try Qwen3VLModel(directory: directory)
        let tokenizer = try TinyModel.loadTokenizer()
        let template = Qwen3VLChatTemplate().render(
            [.system(PromptBuilder.instructions), .user([.image, .text(PromptBuilder().userText(for: r))])],
            tools: [try .parse(PromptBuilder.pythonJSON(PromptBuilder.tool))], addGenerationPrompt: true)
        let ids = tokenizer.encode(template)
        let processed = try model.imageProcessor().process(try RGB8Buffer(try Image(pngData: r.screenshot.png)),
                                                           budget: try PixelBudget(minPixels: 9216, maxPixels: 25600))
        let features = try model.makeVisionEncoder().encode([processed])
        let prompt = try MultimodalPrompt.build(ids: ids, imageTokenId: 509, features: features)
        var greedy = Sampler(.greedy)
        let decoder = model.makeDecoder(contextCapacity: prompt.tokens.count + 24, batchCapacity: 256)
        let result = try Generator(decoder: decoder, stopTokenIds: model.stopTokenIds)
            .generate(prompt: prompt.tokens, maxTokens: 24, sampler: &greedy, multimodal: prompt)
        XCTAssertFalse(result.tokens.isEmpty)
        let expected = tokenizer.decode(result.tokens.filter { !model.stopTokenIds.contains($0) })
        XCTAssertFalse(expected.isEmpty, "the random model said nothing; the comparison would prove little")
        XCTAssertEqual(turn.text, expected)
        XCTAssertEqual(turn.prompt, template)
        XCTAssertEqual(planner.identity, "native:\(directory)")
        XCTAssertEqual(planner.weightHash, try ModelFingerprint.sha256(directory: directory))
    }

    func testSpecTurnsADirectoryIntoTheNativePlannerAndRefusesGGUF() throws {
        let directory = try TinyModelDirectory.make(self)
        let planner = try PlannerSpec.planner(for: directory)
        XCTAssertTrue(planner is NativePlanner)
        XCTAssertThrowsError(try PlannerSpec.planner(for: "/models/qwen3-vl-2b.gguf")) { error in
            guard case .invalidModelSpec(_, let reason)? = error as? AgentError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("safetensors checkpoints only"), reason)
        }
        let empty = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertThrowsError(try PlannerSpec.planner(for: empty.path)) { error in
            guard case .invalidModelSpec(_, let reason)? = error as? AgentError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("no config.json"), reason)
        }
    }

    func testATokenizerThatDisagreesWithTheConfigIsRefused() throws {
        let directory = try TinyModelDirectory.make(self)
        // A tokenizer whose <|image_pad|> is not config.json's image_token_id.
        let link = URL(fileURLWithPath: directory).appendingPathComponent("tokenizer.json")
        var json = try String(contentsOf: TinyModel.tokenizer, encoding: .utf8)
        json = json.replacingOccurrences(of: "\"<|image_pad|>\"", with: "\"<|image_pad_x|>\"")
        try FileManager.default.removeItem(at: link)
        try json.write(to: link, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NativePlanner(directory: directory)) { error in
            guard case .modelUnusable(_, let reason)? = error as? AgentError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("<|image_pad|>"), reason)
        }
    }

    /// (c) The real loop on a real Xvfb with `--model DIR`: the random model's gibberish is rejected by the
    /// parser, explained to the model, audited, and nothing is executed; the session ends on the refusal
    /// budget (the default policy's max_consecutive_denials; exit 4).
    func testSessionWithTheTinyModelRejectsGibberishAndSendsNoInput() async throws {
        guard XvfbServer.which("Xvfb") != nil else { throw XCTSkip("Xvfb is not installed") }
        let directory = try TinyModelDirectory.make(self)
        let server = try XvfbServer(width: 640, height: 400)
        defer { try? server.stop() }
        let display = try X11Display(server: server)
        let runDir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-native-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: runDir) }
        let policy = try Policy.load(path: EndToEndTests.repository.appendingPathComponent("Policies/default.toml").path)
        let refusals = policy.budgets.maxConsecutiveDenials ?? AgentSession.defaultMaxRefusals
        var agent = AgentSession(task: "Click the OK button.", policy: policy,
                                 planner: try PlannerSpec.planner(for: directory), display: display,
                                 runDirectory: runDir, signingKey: AuditSigningKey())
        var counter: CountingInput?
        agent.inputWrapper = { inner in let c = CountingInput(inner); counter = c; return c }
        let result = try await agent.run()

        XCTAssertEqual(result.outcome, .tooManyRefusals(refusals), result.summary())
        XCTAssertEqual(result.exitCode, 4)
        XCTAssertEqual(result.rejected, refusals)
        XCTAssertEqual(result.executed, 0)
        XCTAssertEqual(counter?.performed ?? [], [])
        XCTAssertTrue(result.model.hasPrefix("native:"))
        let verification = AuditVerifier.verify(runDirectory: runDir)
        XCTAssertTrue(verification.isIntact, verification.problem?.description ?? "")
        XCTAssertEqual(verification.executions, 0)
        // The log read with Foundation: each line one record, {"type": …, "data": {…}}.
        let records: [[String: Any]] = try String(contentsOf: runDir.appendingPathComponent(AuditLog.fileName), encoding: .utf8)
            .split(separator: "\n").map { line in
                try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
        func of(_ type: String) -> [[String: Any]] { records.filter { $0["type"] as? String == type } }
        func data(_ record: [String: Any]?) -> [String: Any] { record?["data"] as? [String: Any] ?? [:] }
        XCTAssertTrue(of("execution").isEmpty)
        XCTAssertEqual(of("model_call").count, refusals)
        XCTAssertEqual(of("proposal").filter { data($0)["status"] as? String == "rejected" }.count, refusals)
        // The second turn's prompt (the exact template text, from the audit's blob) tells the model why.
        let calls = of("model_call")
        guard calls.count > 1, let promptBlob = data(calls[1])["prompt_blob"] as? String else {
            return XCTFail("no second model call with a prompt blob")
        }
        let prompt = try String(contentsOf: runDir.appendingPathComponent("blobs/sha256/\(promptBlob)"), encoding: .utf8)
        XCTAssertTrue(prompt.contains("Your previous reply was rejected and nothing was executed"), prompt)
        XCTAssertTrue(prompt.hasPrefix("<|im_start|>system\n") && prompt.hasSuffix("<|im_start|>assistant\n"))
        let start = data(of("session_start").first)
        XCTAssertEqual(start["model_id"] as? String, result.model)
        XCTAssertEqual(start["weight_hash"] as? String, try ModelFingerprint.sha256(directory: directory))
    }
}
