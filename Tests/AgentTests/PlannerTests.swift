import Foundation
import XCTest
@testable import Actions
@testable import Agent
import StrictJSON

final class PlannerTests: XCTestCase {
    let image = ModelImage(png: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3], width: 64, height: 40)

    func request(feedback: String? = nil) -> PlanRequest {
        PlanRequest(task: "Type hello and save.",
                    history: [StepNote(index: 1, action: #"{"action":"left_click","coordinate":[10,20]}"#, outcome: .executed),
                              StepNote(index: 2, action: #"{"action":"key","keys":["ctrl","alt","t"]}"#, outcome: .denied("forbid-escape-chords"))],
                    feedback: feedback, screenshot: image)
    }

    // MARK: - Prompt

    func testToolSchemaIsExact() throws {
        let tool = PromptBuilder.tool
        guard case .string("computer_use")? = tool["function"]?["name"] else { return XCTFail("name") }
        let parameters = try XCTUnwrap(tool["function"]?["parameters"])
        XCTAssertEqual(parameters["required"], .array([.string("action")]))
        XCTAssertEqual(parameters["type"], .string("object"))
        guard case .object(let properties)? = parameters["properties"] else { return XCTFail("properties") }
        XCTAssertEqual(properties.map(\.key), ["action", "keys", "text", "coordinate", "pixels", "time", "status"])
        let types = properties.map { $0.value["type"] }
        XCTAssertEqual(types, [.string("string"), .string("array"), .string("string"), .string("array"),
                               .string("number"), .string("number"), .string("string")])
        XCTAssertEqual(properties[0].value["enum"], .array([
            "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click", "middle_click",
            "double_click", "triple_click", "scroll", "hscroll", "wait", "terminate", "answer",
        ].map { .string($0) }))
        XCTAssertEqual(properties[6].value["enum"], .array([.string("success"), .string("failure")]))
    }

    func testSystemTextCarriesTheTemplateFraming() throws {
        let text = PromptBuilder().systemText
        XCTAssertTrue(text.contains("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"computer_use\", "))
        XCTAssertTrue(text.hasSuffix("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"))
        // The tool line is JSON and parses back to the schema.
        let start = try XCTUnwrap(text.range(of: "<tools>\n"))
        let end = try XCTUnwrap(text.range(of: "\n</tools>"))
        XCTAssertEqual(try JSONValue.parse(String(text[start.upperBound..<end.lowerBound])), PromptBuilder.tool)
    }

    func testUserTurnHasImageFirstThenTaskHistoryFeedback() {
        let messages = PromptBuilder().messages(for: request(feedback: "Your previous reply was rejected and nothing was executed: x."))
        XCTAssertEqual(messages.map(\.role), ["system", "user"])
        XCTAssertEqual(messages[1].parts.first, .image(image))
        guard case .text(let text) = messages[1].parts[1] else { return XCTFail("text part") }
        XCTAssertTrue(text.hasPrefix("The task: Type hello and save.\n"))
        XCTAssertTrue(text.contains("Step 1: {\"action\":\"left_click\",\"coordinate\":[10,20]} — done."))
        XCTAssertTrue(text.contains("Step 2: {\"action\":\"key\",\"keys\":[\"ctrl\",\"alt\",\"t\"]} — refused by the policy"))
        XCTAssertTrue(text.contains("rejected and nothing was executed: x."))
    }

    // MARK: - Replay

    func testReplayPlaysTurnsInOrderThenFails() async throws {
        let contents = """
            {"step": 1, "response": "<tool_call>\\n{\\"name\\": \\"computer_use\\", \\"arguments\\": {\\"action\\": \\"wait\\", \\"time\\": 1}}\\n</tool_call>"}

            {"response": "second"}
            """
        let planner = try ReplayPlanner(path: "t.jsonl", contents: contents)
        let first = try await planner.propose(request())
        XCTAssertEqual(try ToolCallParser.parse(first.text).action, .wait(seconds: 1))
        let second = try await planner.propose(request())
        XCTAssertEqual(second.text, "second")
        do {
            _ = try await planner.propose(request())
            XCTFail("expected exhaustion")
        } catch let e as AgentError {
            XCTAssertEqual(e, .transcriptExhausted(path: "t.jsonl", turns: 2))
        }
    }

    func testReplayRejectsMalformedTranscripts() {
        for (contents, line) in [("{\"response\": 5}", 1), ("\n{\"response\": \"a\"}\nnot json", 3), ("", 0), ("[1]", 1)] {
            XCTAssertThrowsError(try ReplayPlanner(path: "t", contents: contents)) { error in
                guard case AgentError.transcriptMalformed(_, let l, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(l, line, contents)
            }
        }
    }

    // MARK: - OpenAI-compatible server

    static let cannedReply = #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"I will click OK.\n<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [500, 600]}}\n</tool_call>"},"finish_reason":"stop"}]}"#

    func testOpenAIPlannerSendsDataURLAndReadsTheReply() async throws {
        let expectedURL = "data:image/png;base64," + Data(image.png).base64EncodedString()
        let server = try TestHTTPServer { request in
            let body = String(decoding: request.body, as: UTF8.self)
            guard request.method == "POST", request.path == "/v1/chat/completions", body.contains(expectedURL) else {
                return .init(status: 400, body: #"{"error":"bad request"}"#)
            }
            return .init(status: 200, body: PlannerTests.cannedReply)
        }
        defer { server.stop() }
        let planner = try OpenAIPlanner(spec: "http://127.0.0.1:\(server.port)#qwen3-vl-2b", timeout: 10)
        XCTAssertEqual(planner.identity, "openai:http://127.0.0.1:\(server.port)/v1/chat/completions#qwen3-vl-2b")
        let turn = try await planner.propose(request())
        XCTAssertEqual(try ToolCallParser.parse(turn.text).action, .leftClick(Point(x: 500, y: 600)))

        let sent = try XCTUnwrap(server.requests.first)
        let json = try JSONValue.parse(String(decoding: sent.body, as: UTF8.self))
        XCTAssertEqual(json["model"], .string("qwen3-vl-2b"))
        guard case .array(let messages)? = json["messages"], messages.count == 2 else { return XCTFail("messages") }
        XCTAssertEqual(messages[0]["role"], .string("system"))
        XCTAssertEqual(messages[0]["content"], .string(PromptBuilder().systemText))
        guard case .array(let parts)? = messages[1]["content"] else { return XCTFail("user content") }
        XCTAssertEqual(parts[0]["type"], .string("image_url"))
        XCTAssertEqual(parts[0]["image_url"]?["url"], .string(expectedURL))
        XCTAssertEqual(parts[1]["type"], .string("text"))
    }

    func testOpenAIPlannerReportsErrorStatus() async throws {
        let server = try TestHTTPServer { _ in .init(status: 503, body: #"{"error":"model loading"}"#) }
        defer { server.stop() }
        let planner = try OpenAIPlanner(spec: "http://127.0.0.1:\(server.port)/v1", timeout: 10)
        do {
            _ = try await planner.propose(request())
            XCTFail("expected an error")
        } catch let e as AgentError {
            guard case .plannerHTTPStatus(503, let body) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(body.contains("model loading"))
        }
    }

    /// A server slower than the session's remaining time: the request is cut at the budget, and the error
    /// is the budget's, not the server's.
    func testOpenAIPlannerStopsAtTheSessionsTimeBudget() async throws {
        let server = try TestHTTPServer { _ in
            usleep(3_000_000)
            return .init(status: 200, body: PlannerTests.cannedReply)
        }
        defer { server.stop() }
        let planner = try OpenAIPlanner(spec: "http://127.0.0.1:\(server.port)/v1", timeout: 10)
        var r = try request()
        r.secondsLeft = 0.5
        let start = Date()
        do {
            _ = try await planner.propose(r)
            XCTFail("expected the budget to run out")
        } catch let e as AgentError {
            guard case .timeBudgetExhausted(let seconds, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(seconds, 0.5)
        }
        let waited = Date().timeIntervalSince(start)
        XCTAssertLessThan(waited, 2.5, "the request waited for the slow server")
        XCTAssertGreaterThan(waited, 0.4, "the request gave up before the budget ran out")
        // The same budget is plenty for a prompt server.
        let fast = try TestHTTPServer { _ in .init(status: 200, body: PlannerTests.cannedReply) }
        defer { fast.stop() }
        let turn = try await OpenAIPlanner(spec: "http://127.0.0.1:\(fast.port)/v1", timeout: 10).propose(r)
        XCTAssertFalse(turn.text.isEmpty)
    }

    func testOpenAIPlannerRejectsUnusableResponses() throws {
        XCTAssertThrowsError(try OpenAIPlanner.replyText(from: "<html>")) { error in
            guard case AgentError.plannerResponse = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try OpenAIPlanner.replyText(from: #"{"choices":[]}"#))
        // A server that parsed the call itself: turned back into the text format.
        let text = try OpenAIPlanner.replyText(from: #"{"choices":[{"message":{"content":null,"tool_calls":[{"type":"function","function":{"name":"computer_use","arguments":"{\"action\":\"wait\",\"time\":2}"}}]}}]}"#)
        XCTAssertEqual(try ToolCallParser.parse(text).action, .wait(seconds: 2))
    }

    func testOpenAIPlannerUnreachableServer() async throws {
        // Bind and close a port so nothing listens there.
        let server = try TestHTTPServer { _ in .init(status: 200, body: "{}") }
        let port = server.port
        server.stop()
        let planner = try OpenAIPlanner(spec: "http://127.0.0.1:\(port)", timeout: 5)
        do {
            _ = try await planner.propose(request())
            XCTFail("expected an error")
        } catch let e as AgentError {
            switch e {
            case .plannerTransport, .plannerTimedOut: break
            default: XCTFail("\(e)")
            }
        }
    }

    func testModelSpecs() throws {
        XCTAssertEqual(try OpenAIPlanner(spec: "http://h:8080/v1/chat/completions").endpoint.absoluteString, "http://h:8080/v1/chat/completions")
        XCTAssertEqual(try OpenAIPlanner(spec: "https://h/api/").endpoint.absoluteString, "https://h/api/v1/chat/completions")
        XCTAssertEqual(try OpenAIPlanner(spec: "http://h:1").model, "default")
        XCTAssertThrowsError(try OpenAIPlanner(spec: "ftp://h"))
        XCTAssertThrowsError(try OpenAIPlanner(spec: "not a url"))
    }
}
