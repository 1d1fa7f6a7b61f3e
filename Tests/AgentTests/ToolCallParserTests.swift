import XCTest
@testable import Actions
@testable import Agent

final class ToolCallParserTests: XCTestCase {
    func parse(_ text: String) throws -> Proposal { try ToolCallParser.parse(text) }

    func expectRejection(_ text: String, _ check: (AgentError) -> Bool,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            guard let e = error as? AgentError else { return XCTFail("not an AgentError: \(error)", file: file, line: line) }
            XCTAssertTrue(e.isRejection, "\(e) should be a rejection", file: file, line: line)
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
            XCTAssertTrue(e.feedbackForModel.contains("nothing was executed"), file: file, line: line)
        }
    }

    // The expected output verbatim from docs/qwen3vl-reference.md §6.3.
    func testVerbatimCookbookOutput() throws {
        let text = "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [447, 81]}}\n</tool_call>"
        let p = try parse(text)
        XCTAssertEqual(p.action, .leftClick(Point(x: 447, y: 81)))
        XCTAssertEqual(p.thought, "")
    }

    // §6.4's verbatim output shape (Thought/Action prose before the call), with the computer_use tool.
    func testThoughtBeforeToolCall() throws {
        let text = """
            Thought: To search for Musk in X, I need to click on the search bar at the top of the screen. This will allow me to type in the search query.
            Action: "I tapped on the search bar to begin searching for Musk."
            <tool_call>
            {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [447, 81]}}
            </tool_call>
            """
        let p = try parse(text)
        XCTAssertEqual(p.action, .leftClick(Point(x: 447, y: 81)))
        XCTAssertTrue(p.thought.hasPrefix("Thought: To search for Musk"))
        XCTAssertTrue(p.thought.hasSuffix("searching for Musk.\""))
    }

    func testWhitespaceVariants() throws {
        let call = #"{"name": "computer_use", "arguments": {"action": "type", "text": "hi"}}"#
        let variants = [
            "<tool_call>\(call)</tool_call>",
            "<tool_call>\r\n\(call)\r\n</tool_call>\r\n",
            "  <tool_call>  \n\n\t\(call)  \n </tool_call>  ",
            "<tool_call>\n```json\n\(call)\n```\n</tool_call>",
            "<tool_call>\n```\n\(call)\n```\n</tool_call>",
            "<tool_call>\n\(call)\n</tool_call><|im_end|>",
            "<think>\nThe field is empty.\n</think>\n\n<tool_call>\n\(call)\n</tool_call>",
            "The field is empty.\n</think>\n\n<tool_call>\n\(call)\n</tool_call>",
            "```json\n\(call)\n```",
            call,
            "I will type.\n<tool_call>\n\(call)\n</tool_call>\nThat should do it.",
        ]
        for v in variants {
            XCTAssertEqual(try parse(v).action, .type("hi"), v.debugDescription)
        }
        XCTAssertEqual(try parse(variants[6]).thought, "The field is empty.")
    }

    func testMissingClosingTagOnlyWhenJSONComplete() throws {
        let call = #"{"name": "computer_use", "arguments": {"action": "terminate", "status": "success"}}"#
        XCTAssertEqual(try parse("<tool_call>\n\(call)\n").action, .terminate(.success))
        XCTAssertEqual(try parse("<tool_call>\n\(call)").action, .terminate(.success))
        expectRejection("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"terminate\"") {
            if case .truncatedToolCall = $0 { return true }; return false
        }
        expectRejection("<tool_call>\n\(call) and then more") { $0 == .unterminatedToolCall }
        expectRejection("<tool_call>\n") { $0 == .unterminatedToolCall }
    }

    func testGarbageAndTruncation() {
        expectRejection("I would click the OK button.") { $0 == .noToolCall }
        expectRejection("") { $0 == .noToolCall }
        expectRejection("</tool_call>") { $0 == .noToolCall }
        expectRejection("<tool_call>\nclick OK\n</tool_call>") { if case .invalidToolCallJSON = $0 { return true }; return false }
        expectRejection("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_cl\n</tool_call>") {
            if case .invalidToolCallJSON = $0 { return true }; if case .truncatedToolCall = $0 { return true }; return false
        }
        expectRejection("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [1,\n</tool_call>") {
            if case .truncatedToolCall = $0 { return true }; return false
        }
        expectRejection("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [NaN, 3]}}\n</tool_call>") {
            if case .invalidToolCallJSON = $0 { return true }; return false
        }
        expectRejection(String(repeating: "x", count: ToolCallParser.maximumResponseBytes + 1)) {
            if case .responseTooLong = $0 { return true }; return false
        }
    }

    func testOneActionPerStep() {
        let call = #"{"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [1, 2]}}"#
        expectRejection("<tool_call>\n\(call)\n</tool_call>\n<tool_call>\n\(call)\n</tool_call>") { $0 == .multipleToolCalls(count: 2) }
        expectRejection("<tool_call>\n[\(call), \(call)]\n</tool_call>") { $0 == .multipleToolCalls(count: 2) }
        expectRejection("<tool_call>\n\(call)\n</tool_call>\n\(call)") { if case .textAfterToolCall = $0 { return true }; return false }
        expectRejection("```json\n\(call)\n```\n```json\n\(call)\n```") { $0 == .multipleToolCalls(count: 2) }
    }

    func testStrictTypesAndNames() {
        func call(_ args: String, name: String = "computer_use") -> String {
            "<tool_call>\n{\"name\": \"\(name)\", \"arguments\": \(args)}\n</tool_call>"
        }
        expectRejection(call(#"{"action": "left_click"}"#, name: "bash")) { $0 == .invalidAction(.wrongTool("bash")) }
        expectRejection(call(#"{"action": "open_terminal"}"#)) { $0 == .invalidAction(.unknownAction("open_terminal")) }
        expectRejection(call(#"{"action": "left_click", "coordinate": ["1", "2"]}"#)) {
            if case .invalidAction(.wrongType("coordinate", _, _)) = $0 { return true }; return false
        }
        expectRejection(call(#"{"action": "type"}"#)) { $0 == .invalidAction(.missingParameter(action: "type", parameter: "text")) }
        expectRejection(call(#"{"action": "left_click", "coordinate": [1e400, 2]}"#)) {
            if case .invalidAction(.invalidValue("coordinate", _)) = $0 { return true }; return false
        }
        // Arguments as a JSON string (the OpenAI wire format) are a type error here, not something to unwrap.
        expectRejection(call(#""{\"action\": \"left_click\"}""#)) { if case .invalidAction(.notAnObject) = $0 { return true }; return false }
        expectRejection("<tool_call>\n{\"name\": \"computer_use\", \"name\": \"computer_use\", \"arguments\": {}}\n</tool_call>") {
            if case .invalidToolCallJSON = $0 { return true }; return false
        }
    }

    // Negative and huge coordinates parse (they are numbers) but mapping to pixels rejects them.
    func testOutOfRangeCoordinatesFailAtMapping() throws {
        let screen = GridMapping(width: 1280, height: 800)
        for coordinate in ["[-1, 10]", "[10, 1000.5]", "[1e300, 10]", "[10, -0.001]"] {
            let p = try parse("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": \(coordinate)}}\n</tool_call>")
            XCTAssertThrowsError(try screen.toPixels(p.action), coordinate) { error in
                guard case ActionError.coordinateOutOfRange = error else { return XCTFail("\(error)") }
            }
        }
        let ok = try parse("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {\"action\": \"left_click\", \"coordinate\": [500, 1000]}}\n</tool_call>")
        XCTAssertEqual(try screen.toPixels(ok.action), .leftClick(Point(x: 640, y: 799)))
    }

    func testAllFourteenActionsThroughTheParser() throws {
        let args = [
            #"{"action": "key", "keys": ["ctrl", "s"]}"#, #"{"action": "type", "text": "a"}"#,
            #"{"action": "mouse_move", "coordinate": [1, 2]}"#, #"{"action": "left_click", "coordinate": [1, 2]}"#,
            #"{"action": "left_click_drag", "coordinate": [1, 2]}"#, #"{"action": "right_click", "coordinate": [1, 2]}"#,
            #"{"action": "middle_click", "coordinate": [1, 2]}"#, #"{"action": "double_click", "coordinate": [1, 2]}"#,
            #"{"action": "triple_click", "coordinate": [1, 2]}"#, #"{"action": "scroll", "pixels": -3}"#,
            #"{"action": "hscroll", "pixels": 3}"#, #"{"action": "wait", "time": 1}"#,
            #"{"action": "terminate", "status": "failure"}"#, #"{"action": "answer", "text": "42"}"#,
        ]
        let kinds = try args.map { try parse("<tool_call>\n{\"name\": \"computer_use\", \"arguments\": \($0)}\n</tool_call>").action.kind }
        XCTAssertEqual(Set(kinds), Set(ActionKind.allCases))
    }
}
