// libFuzzer target: the model-output action parser (`Action(json:)`) and key chord spellings, on
// arbitrary bytes. Oracle beyond "no crash": an action that parses re-serializes to arguments that
// parse to the same action.

import Actions

@_cdecl("LLVMFuzzerTestOneInput")
public func actionParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    if let action = try? Action(json: text) {
        guard let again = try? Action(json: action.arguments.serialized), again == action else {
            fatalError("round trip changed \(text)")  // a fuzzing oracle, not product code
        }
    }
    _ = try? KeyChord(parsing: text)
    return 0
}
