// `--model SPEC` → a planner (docs/architecture.md, "Command-line contract"):
//   replay:F.jsonl          recorded model turns
//   openai:URL[#model]      an OpenAI-compatible chat-completions server
//   a directory or .gguf    the native Qwen3-VL engine (not wired to the loop yet: a clear error)

import Foundation

public enum PlannerSpec {
    public static func planner(for spec: String, timeout: Double = 120) throws -> Planner {
        if spec.hasPrefix("replay:") {
            let path = String(spec.dropFirst("replay:".count))
            guard !path.isEmpty else { throw AgentError.invalidModelSpec(spec, reason: "replay: needs a transcript path") }
            return try ReplayPlanner(path: path)
        }
        if spec.hasPrefix("openai:") {
            return try OpenAIPlanner(spec: String(spec.dropFirst("openai:".count)), timeout: timeout)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), isDirectory.boolValue || spec.hasSuffix(".gguf") {
            throw AgentError.invalidModelSpec(spec, reason: "the native Qwen3-VL engine cannot drive the agent yet "
                + "(it has no vision encoder wired to generation); serve the model with an OpenAI-compatible server "
                + "and pass openai:URL#model")
        }
        throw AgentError.invalidModelSpec(spec, reason: "expected replay:F.jsonl, openai:URL[#model], a model directory or a .gguf file")
    }
}
