// libFuzzer target: the policy parser and the policy test-case parser, on arbitrary bytes.
// Built by scripts/fuzz (see Tests/Fuzz/README.md). Beyond "no crash", it checks two invariants on every
// input that parses: the hash is a pure function of the text, and a fixed set of requests evaluates
// without trapping (evaluation, lint, canonical form).

import Actions
import Foundation
import Policy

private let probeWindow = WindowFacts(id: 1, windowClass: "Zenity", instance: "zenity", title: "Form",
                                      executable: "/usr/bin/zenity", pid: 1, x: 10, y: 10, width: 300, height: 200)
private let probes: [Action] = [
    .leftClick(Point(x: 50, y: 50)), .leftClick(nil), .type("hello\n"), .wait(seconds: 1), .answer("password=abc"),
    .leftClickDrag(to: Point(x: 5000, y: -3)), .scroll(pixels: -100, at: nil),
] + ((try? [Action.key(KeyChord(parsing: "ctrl+alt+t")), .key(KeyChord(parsing: "Return"))]) ?? [])

@_cdecl("LLVMFuzzerTestOneInput")
public func policyParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    if let policy = try? Policy(toml: text) {
        guard let again = try? Policy(toml: text), again.hash == policy.hash else {
            fatalError("the same text parsed twice gave different results")  // a fuzzing oracle, not product code
        }
        _ = policy.lint()
        _ = policy.canonicalJSON
        for action in probes {
            let request = PolicyRequest(action: action, screenWidth: 1280, screenHeight: 800, pointer: Point(x: 20, y: 20),
                                        windowUnderPoint: probeWindow, focusedWindow: probeWindow,
                                        budget: BudgetCounters(steps: 3), effects: RehearsalEffects(filesWritten: ["/etc/x"]))
            _ = policy.evaluate(request)
        }
    }
    if let cases = try? PolicyCaseFile(toml: text), let policy = try? Policy(toml: "policy = \"fuzz\"") {
        _ = policy.run(cases)
    }
    return 0
}
