// Qwen3VL: `generation_config.json` — the stop tokens and the checkpoint's suggested sampling.
// Fields as written by transformers `generation/configuration_utils.py` (GenerationConfig.to_json_file).
import Foundation

/// What the checkpoint says about generation. Only the stop ids are used by default; the sampling
/// values are reported by `model info` so a user can pass them explicitly.
public struct GenerationConfiguration: Equatable, Sendable {
    /// `<|im_end|>` and `<|endoftext|>` for the released models; whatever the tiny test vocabularies chose.
    public var eosTokenIds: [Int]
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var repetitionPenalty: Double?

    public static let fileName = "generation_config.json"

    public init(eosTokenIds: [Int] = [], temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil,
                repetitionPenalty: Double? = nil) {
        self.eosTokenIds = eosTokenIds
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.repetitionPenalty = repetitionPenalty
    }

    /// Reads `directory/generation_config.json` if present (nil when absent), validating ids against `vocabSize`.
    public static func load(directory: String, vocabSize: Int) throws -> GenerationConfiguration? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Qwen3VLError.configurationUnreadable(path: path, reason: error.localizedDescription)
        }
        let f = try JSONFields(data: data, file: path)
        let config = GenerationConfiguration(
            eosTokenIds: try f.optionalIntOrIntArray("eos_token_id") ?? [],
            temperature: try f.optionalDouble("temperature"),
            topP: try f.optionalDouble("top_p"),
            topK: try f.optionalInt("top_k"),
            repetitionPenalty: try f.optionalDouble("repetition_penalty"))
        for id in config.eosTokenIds where id < 0 || id >= vocabSize {
            throw Qwen3VLError.invalidConfiguration(file: path, field: "eos_token_id",
                                                    reason: "\(id) is outside the vocabulary (0..<\(vocabSize))")
        }
        return config
    }
}
