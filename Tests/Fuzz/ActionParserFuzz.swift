// libFuzzer entry for the action parser: arbitrary bytes as model-proposed action JSON.
// Built by scripts/fuzz together with Sources/Actions, over StrictJSON built as a module. The property checked: decoding never crashes,
// and anything that decodes survives a round trip through its canonical arguments.

@_cdecl("LLVMFuzzerTestOneInput")
public func actionParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let action = try? Action(json: text) {
        guard let again = try? Action(arguments: action.arguments), again == action else {
            fatalError("round trip changed \(action)")  // a finding for the fuzzer, not a runtime path
        }
    }
    _ = try? KeyChord(parsing: text)
    return 0
}
