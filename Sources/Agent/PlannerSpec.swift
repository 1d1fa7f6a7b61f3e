// `--model SPEC` → a planner (docs/architecture.md, "Command-line contract"):
//   replay:F.jsonl          recorded model turns
//   openai:URL[#model]      an OpenAI-compatible chat-completions server
//   DIR                     a Hugging Face Qwen3-VL directory (config.json, *.safetensors, tokenizer.json):
//                           the native engine (`NativePlanner`)
//   F.gguf                  refused: the engine runs safetensors checkpoints only

import Foundation

public enum PlannerSpec {
    /// `pixelBudget` is the loop's (`--pixel-budget`); the native engine keeps the model's input within it.
    public static func planner(for spec: String, timeout: Double = 120, pixelBudget: Int = 1280 * 800) throws -> Planner {
        if spec.hasPrefix("replay:") {
            let path = String(spec.dropFirst("replay:".count))
            guard !path.isEmpty else { throw AgentError.invalidModelSpec(spec, reason: "replay: needs a transcript path") }
            return try ReplayPlanner(path: path)
        }
        if spec.hasPrefix("openai:") {
            return try OpenAIPlanner(spec: String(spec.dropFirst("openai:".count)), timeout: timeout)
        }
        if spec.hasSuffix(".gguf") {
            throw AgentError.invalidModelSpec(spec, reason: "GGUF files cannot drive the agent: ModelFormats reads a "
                + "GGUF file's metadata and F32/F16/BF16 tensors, but the native engine runs Hugging Face safetensors "
                + "checkpoints only (no GGUF tensor-name mapping, no quantized kernels); pass the model's Hugging Face "
                + "directory (config.json, *.safetensors, tokenizer.json), or serve the GGUF with llama.cpp's server "
                + "and pass openai:URL#model")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue {
            let config = (spec as NSString).appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: config) else {
                throw AgentError.invalidModelSpec(spec, reason: "the directory has no config.json, so it is not a "
                    + "Hugging Face model directory")
            }
            return try NativePlanner(directory: spec, pixelBudget: pixelBudget)
        }
        throw AgentError.invalidModelSpec(spec, reason: "expected replay:F.jsonl, openai:URL[#model] or a model directory")
    }
}
