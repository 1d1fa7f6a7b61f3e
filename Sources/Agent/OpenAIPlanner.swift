// Any OpenAI-compatible chat-completions server (llama.cpp server, vLLM, Ollama):
// `--model openai:URL[#model]`.
//
// The tools block goes into the system message as text rather than through the request's `tools`
// field: servers differ in whether and how they render `tools`, and text reaches the chat template
// the same way everywhere. The reply is read from `choices[0].message.content`; a server that parsed
// the call itself (`message.tool_calls`) gets it turned back into the `<tool_call>` text the parser reads.

import Actions
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import StrictJSON
#endif

public struct OpenAIPlanner: Planner {
    public let endpoint: URL
    public let model: String
    public let timeout: Double
    public let maxTokens: Int
    public var identity: String { "openai:\(endpoint.absoluteString)#\(model)" }
    let builder = PromptBuilder()

    /// Parses the part of a model spec after `openai:`: `URL[#model]`. The URL may be the server's
    /// root, its `/v1`, or the full `/v1/chat/completions` endpoint.
    public init(spec: String, timeout: Double = 120, maxTokens: Int = 512) throws {
        var urlText = spec
        var model = "default"
        if let hash = spec.lastIndex(of: "#") {
            urlText = String(spec[..<hash])
            let name = String(spec[spec.index(after: hash)...])
            if !name.isEmpty { model = name }
        }
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else {
            throw AgentError.invalidModelSpec("openai:\(spec)", reason: "expected an http(s) URL, optionally followed by #model")
        }
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        let full: String
        if path.hasSuffix("/chat/completions") { full = path }
        else if path.hasSuffix("/v1") { full = path + "/chat/completions" }
        else { full = path + "/v1/chat/completions" }
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw AgentError.invalidModelSpec("openai:\(spec)", reason: "unparsable URL")
        }
        components.path = full
        guard let endpoint = components.url else {
            throw AgentError.invalidModelSpec("openai:\(spec)", reason: "unparsable URL")
        }
        self.endpoint = endpoint
        self.model = model
        self.timeout = timeout
        self.maxTokens = maxTokens
    }

    public func propose(_ request: PlanRequest) async throws -> PlannerTurn {
        let messages = builder.messages(for: request)
        let body = requestBody(messages)
        // The session's remaining time bounds the request too; running out of it is the budget's end,
        // not the server's fault.
        let budget = request.secondsLeft.map { max(0.001, $0) }
        let limit = min(timeout, budget ?? timeout)
        var urlRequest = URLRequest(url: endpoint, timeoutInterval: limit)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.httpBody = Data(body.serialized.utf8)

        let (data, status): (Data, Int)
        do { (data, status) = try await send(urlRequest, timeout: limit) } catch AgentError.plannerTimedOut(let s) {
            if let budget, budget < timeout { throw AgentError.timeBudgetExhausted(seconds: budget, during: "the model server's answer") }
            throw AgentError.plannerTimedOut(seconds: s)
        }
        let text = String(decoding: data, as: UTF8.self)
        guard status == 200 else { throw AgentError.plannerHTTPStatus(status, body: text) }
        let reply = try OpenAIPlanner.replyText(from: text)
        let prompt = messages.map { "\($0.role): \($0.transcript)" }.joined(separator: "\n")
        return PlannerTurn(text: reply, prompt: prompt)
    }

    func requestBody(_ messages: [ChatMessage]) -> JSONValue {
        let encoded: [JSONValue] = messages.map { message in
            let parts: [JSONValue] = message.parts.map { part in
                switch part {
                case .text(let t):
                    return .object([("type", .string("text")), ("text", .string(t))])
                case .image(let image):
                    let url = "data:image/png;base64," + Data(image.png).base64EncodedString()
                    return .object([("type", .string("image_url")), ("image_url", .object([("url", .string(url))]))])
                }
            }
            // A system message with one text part is sent as a plain string, which every server accepts.
            if parts.count == 1, case .text(let t) = message.parts[0] {
                return .object([("role", .string(message.role)), ("content", .string(t))])
            }
            return .object([("role", .string(message.role)), ("content", .array(parts))])
        }
        return .object([
            ("model", .string(model)),
            ("messages", .array(encoded)),
            ("temperature", .number("0")),
            ("max_tokens", .number(String(maxTokens))),
            ("stream", .bool(false)),
        ])
    }

    func send(_ request: URLRequest, timeout: Double) async throws -> (Data, Int) {
        // URLSession's own timeouts are whole seconds on Linux (a fraction below one fires at once), so
        // they are set a little long and a timer of ours enforces `timeout` exactly.
        let sessionTimeout = max(1, timeout.rounded(.up) + 1)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = sessionTimeout
        configuration.timeoutIntervalForResource = sessionTimeout
        var request = request
        request.timeoutInterval = sessionTimeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let answered = AnswerOnce()
        return try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request) { data, response, error in
                guard answered.claim() else { return }
                if let error = error as? URLError, error.code == .timedOut {
                    continuation.resume(throwing: AgentError.plannerTimedOut(seconds: timeout))
                } else if let error {
                    continuation.resume(throwing: AgentError.plannerTransport(error.localizedDescription))
                } else if let http = response as? HTTPURLResponse {
                    continuation.resume(returning: (data ?? Data(), http.statusCode))
                } else {
                    continuation.resume(throwing: AgentError.plannerTransport("no HTTP response"))
                }
            }
            task.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                guard answered.claim() else { return }
                task.cancel()
                continuation.resume(throwing: AgentError.plannerTimedOut(seconds: timeout))
            }
        }
    }

    /// The assistant text of a chat-completions response.
    static func replyText(from body: String) throws -> String {
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch let e as JSONParseError {
            throw AgentError.plannerResponse("not JSON (\(e.description))")
        }
        guard case .array(let choices)? = value["choices"], let first = choices.first else {
            if let error = value["error"] { throw AgentError.plannerResponse("error: \(error.serialized)") }
            throw AgentError.plannerResponse("no choices")
        }
        guard let message = first["message"] else { throw AgentError.plannerResponse("choice has no message") }
        var text = ""
        switch message["content"] {
        case .string(let s)?: text = s
        case .array(let parts)?:
            text = parts.compactMap { part -> String? in
                if case .string(let s)? = part["text"] { return s }
                return nil
            }.joined()
        case .null?, nil: text = ""
        case let other?: throw AgentError.plannerResponse("content is \(other.typeName)")
        }
        if case .array(let calls)? = message["tool_calls"] {
            for call in calls {
                guard let function = call["function"], case .string(let name)? = function["name"] else {
                    throw AgentError.plannerResponse("tool call without a function name")
                }
                // `arguments` is a JSON string in this API; pass it on as written so the parser judges it.
                let arguments: String
                switch function["arguments"] {
                case .string(let s)?: arguments = s
                case let other?: arguments = other.serialized
                case nil: arguments = "{}"
                }
                text += "\n<tool_call>\n{\"name\": \(JSONValue.string(name).serialized), \"arguments\": \(arguments)}\n</tool_call>"
            }
        }
        return text
    }
}

/// The first of the reply and the timer to claim it answers; the other does nothing.
private final class AnswerOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool { lock.withLock { if claimed { return false }; claimed = true; return true } }
}
