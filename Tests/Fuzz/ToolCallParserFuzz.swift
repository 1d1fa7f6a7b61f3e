// libFuzzer entry for the model-text parser (Sources/Agent/ToolCallParser.swift): arbitrary bytes as a
// model reply. Built by scripts/fuzz against the Actions module. The properties checked: parsing never
// crashes, and a reply that parses re-renders in Qwen3-VL's exact format to the same action.

import Actions

@_cdecl("LLVMFuzzerTestOneInput")
public func toolCallParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let proposal = try? ToolCallParser.parse(text) else { return 0 }
    let canonical = "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": \(proposal.action.arguments.serialized)}\n</tool_call>"
    guard let again = try? ToolCallParser.parse(canonical), again.action == proposal.action else {
        fatalError("re-rendering changed \(proposal.action)")  // a finding for the fuzzer, not a runtime path
    }
    return 0
}
