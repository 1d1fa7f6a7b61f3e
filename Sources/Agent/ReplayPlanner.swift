// Recorded model turns, played back in order (`--model replay:F.jsonl`).
//
// Format: JSON Lines, one object per model turn with the assistant text in "response" (exactly what
// the model produced, in Qwen3-VL's format). Other members ("step", "note", …) are comments for people
// and are ignored. Blank lines are skipped. Asking for more turns than the file holds is an error: a
// transcript that ran out has stopped describing the run.

import Actions
import Foundation
import StrictJSON

public actor ReplayPlanner: Planner {
    public nonisolated let identity: String
    public nonisolated let path: String
    public nonisolated let responses: [String]
    private var next = 0
    private let builder = PromptBuilder()

    public init(path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw AgentError.transcriptUnreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(path: path, contents: String(decoding: data, as: UTF8.self))
    }

    public init(path: String, contents: String) throws {
        self.path = path
        self.identity = "replay:\(path)"
        var responses: [String] = []
        for (i, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(line).trimmingWhitespace()
            if text.isEmpty { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(text) } catch let e as JSONParseError {
                throw AgentError.transcriptMalformed(path: path, line: i + 1, reason: e.description)
            }
            guard case .object = value else {
                throw AgentError.transcriptMalformed(path: path, line: i + 1, reason: "expected a JSON object")
            }
            guard case .string(let response)? = value["response"] else {
                throw AgentError.transcriptMalformed(path: path, line: i + 1, reason: "\"response\" must be a string")
            }
            responses.append(response)
        }
        guard !responses.isEmpty else {
            throw AgentError.transcriptMalformed(path: path, line: 0, reason: "the transcript holds no turn")
        }
        self.responses = responses
    }

    public func propose(_ request: PlanRequest) async throws -> PlannerTurn {
        guard next < responses.count else { throw AgentError.transcriptExhausted(path: path, turns: responses.count) }
        defer { next += 1 }
        let prompt = builder.messages(for: request).map { "\($0.role): \($0.transcript)" }.joined(separator: "\n")
        return PlannerTurn(text: responses[next], prompt: prompt)
    }

    /// Turns not yet played.
    public var remaining: Int { responses.count - next }
}
