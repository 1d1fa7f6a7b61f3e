import Actions
import StrictJSON

/// Everything that can go wrong in the agent: rejected model output, planner failures, the loop's
/// collaborators. Rejections of model output (`isRejection`) are explained to the model on its next
/// turn through `feedbackForModel`; the rest end the session.
public enum AgentError: Error, Equatable, Sendable, CustomStringConvertible {
    // Model output (the proposal was rejected; nothing of it is executed).
    case noToolCall
    case multipleToolCalls(count: Int)
    case unterminatedToolCall
    case truncatedToolCall(JSONParseError)
    case invalidToolCallJSON(JSONParseError)
    case textAfterToolCall(String)
    case invalidAction(ActionError)
    case responseTooLong(bytes: Int, limit: Int)

    // Planners.
    case invalidModelSpec(String, reason: String)
    case transcriptUnreadable(path: String, reason: String)
    case transcriptMalformed(path: String, line: Int, reason: String)
    case transcriptExhausted(path: String, turns: Int)
    case plannerTransport(String)
    case plannerHTTPStatus(Int, body: String)
    case plannerResponse(String)
    case plannerTimedOut(seconds: Double)
    /// The session's time budget ran out during a model turn.
    case timeBudgetExhausted(seconds: Double, during: String)
    /// A native model directory that cannot be loaded or used (files, configuration, tokenizer).
    case modelUnusable(path: String, reason: String)
    /// The native engine failed on one turn (image, prompt or generation).
    case engineFailed(String)

    // The loop's collaborators.
    case screen(String)
    case input(String)
    case authorization(String)
    case audit(String)
    case approval(String)
    case approvalMismatch(String)
    case rehearsal(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .noToolCall:
            return "the reply contains no <tool_call> block"
        case .multipleToolCalls(let n):
            return "the reply contains \(n) tool calls; exactly one action per step is allowed"
        case .unterminatedToolCall:
            return "the <tool_call> block is not closed with </tool_call>"
        case .truncatedToolCall(let e):
            return "the tool call's JSON is incomplete (\(e.description))"
        case .invalidToolCallJSON(let e):
            return "the tool call is not valid JSON: \(e.description)"
        case .textAfterToolCall(let t):
            return "unexpected text after the tool call's JSON: \"\(AgentError.excerpt(t, 40))\""
        case .invalidAction(let e):
            return "the tool call is not a valid computer_use action: \(e.description)"
        case .responseTooLong(let n, let limit):
            return "the reply is \(n) bytes long; at most \(limit) are accepted"
        case .invalidModelSpec(let spec, let reason):
            return "invalid model \"\(spec)\": \(reason)"
        case .transcriptUnreadable(let path, let reason):
            return "cannot read transcript \(path): \(reason)"
        case .transcriptMalformed(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .transcriptExhausted(let path, let turns):
            return "transcript \(path) has no turn left (it holds \(turns))"
        case .plannerTransport(let m):
            return "model server unreachable: \(m)"
        case .plannerHTTPStatus(let status, let body):
            return "model server answered HTTP \(status): \(AgentError.excerpt(body, 200))"
        case .plannerResponse(let m):
            return "model server sent an unusable response: \(m)"
        case .plannerTimedOut(let s):
            return "model server did not answer within \(s) s"
        case .timeBudgetExhausted(let s, let during):
            return "the time budget ran out during \(during) (\(String(format: "%.1f", s)) s were left when the turn began)"
        case .modelUnusable(let path, let reason):
            return "cannot use model \(path): \(reason)"
        case .engineFailed(let m):
            return "the native engine failed: \(m)"
        case .screen(let m): return "screen: \(m)"
        case .input(let m): return "input: \(m)"
        case .authorization(let m): return "policy: \(m)"
        case .audit(let m): return "audit: \(m)"
        case .approval(let m): return "approval: \(m)"
        case .approvalMismatch(let m): return "approval does not match the action: \(m)"
        case .rehearsal(let m): return "rehearsal: \(m)"
        case .configuration(let m): return "configuration: \(m)"
        }
    }

    /// True for errors that reject one model reply (the session goes on and the model is told why).
    public var isRejection: Bool {
        switch self {
        case .noToolCall, .multipleToolCalls, .unterminatedToolCall, .truncatedToolCall, .invalidToolCallJSON,
             .textAfterToolCall, .invalidAction, .responseTooLong:
            return true
        default:
            return false
        }
    }

    /// The explanation sent to the model on its next turn.
    public var feedbackForModel: String {
        "Your previous reply was rejected and nothing was executed: \(description). "
            + "Reply with exactly one computer_use call inside <tool_call></tool_call> tags."
    }

    static func excerpt(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n)) + "…"
    }
}
