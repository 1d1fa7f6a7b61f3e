import Foundation
import XCTest

/// `understudy run --sandbox`: the definition's application runs sandboxed on the given display and on
/// a private rehearsal display; every input step is rehearsed, decided again on its effects, checked
/// against the rehearsal afterwards; a sandbox whose isolation check fails is refused (exit 2).
final class RunSandboxCommandTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func temporary(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "understudy-cli-\(name)-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func require(_ tools: [String]) throws {
        for tool in tools where (try? CLI.which(tool)) == nil { throw XCTSkip("\(tool) is not installed") }
    }

    func turn(_ arguments: String) throws -> String {
        let response = "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": \(arguments)}\n</tool_call>"
        return String(decoding: try JSONSerialization.data(withJSONObject: ["response": response]), as: UTF8.self)
    }

    func testRunWithTheMousepadSandboxRehearsesEveryStep() throws {
        try require(["Xvfb", "bwrap", "mousepad", "xauth"])
        let x = try XServer(width: 1024, height: 768)
        defer { x.stop() }
        let transcript = temporary("transcript") + ".jsonl"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: transcript) }
        try [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "type", "text": "eggs"}"#),
            try turn(#"{"action": "key", "keys": ["ctrl", "s"]}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ].joined(separator: "\n").write(toFile: transcript, atomically: true, encoding: .utf8)
        let repo = RunSandboxCommandTests.repository.path
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["run", "--task", "add eggs and save", "--policy", repo + "/Policies/mousepad-sandbox.toml",
                                  "--sandbox", repo + "/Sandboxes/mousepad.toml", "--model", "replay:\(transcript)",
                                  "--run-dir", runDir, "--key", key, "--display", x.display],
                                 environment: x.environment, timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try result.json()["executed"] as? Int, 3)
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        let records = try String(contentsOfFile: runDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        func field(_ type: String, _ name: String) -> [String] {
            records.filter { $0["type"] as? String == type }.compactMap { ($0["data"] as? [String: Any])?[name] as? String }
        }
        let reports = field("rehearsal", "report").filter { $0.hasPrefix("rehearsed") }
        XCTAssertEqual(reports.count, 3, "\(reports)")
        XCTAssertTrue(reports.allSatisfy { $0.hasPrefix("rehearsed:") }, "\(reports)")
        XCTAssertTrue(reports.last?.contains("changed Documents/notes.txt") ?? false, "\(reports)")
        XCTAssertEqual(field("verification", "outcome"), ["matched", "matched", "matched"])
    }

    func testRunRefusesASandboxWhoseIsolationCheckFails() throws {
        try require(["Xvfb", "bwrap", "zenity", "xauth"])
        let x = try XServer(width: 1024, height: 768)
        defer { x.stop() }
        let definition = temporary("definition") + ".toml"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: definition) }
        try """
            name = "leaky"
            [app]
            command = ["/usr/bin/zenity", "--entry"]
            [isolation]
            network = "host"
            """.write(toFile: definition, atomically: true, encoding: .utf8)
        let transcript = temporary("transcript") + ".jsonl"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: transcript) }
        try turn(#"{"action": "terminate", "status": "success"}"#).write(toFile: transcript, atomically: true, encoding: .utf8)
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["run", "--task", "x", "--policy", RunSandboxCommandTests.repository.path + "/Policies/zenity-form.toml",
                                  "--sandbox", definition, "--model", "replay:\(transcript)",
                                  "--run-dir", runDir, "--key", key, "--display", x.display],
                                 environment: x.environment, timeout: 120)
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("network"), result.stderr)
    }
}
