import Foundation
import XCTest

/// `understudy run --sandbox`: the definition's application runs sandboxed on the given display and on
/// a private rehearsal display; every input step is rehearsed, decided again on its effects, checked
/// against the rehearsal afterwards; a sandbox whose isolation check fails is refused (exit 2). Both
/// outcomes of the isolation check are records in the session's audit trail.
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
        // The saved file is kept with the run (the sandbox's own copy is discarded).
        XCTAssertEqual(try result.json()["sandbox_home"] as? String, runDir + "/sandbox/home")
        let saved = try String(contentsOfFile: runDir + "/sandbox/home/Documents/notes.txt", encoding: .utf8)
        XCTAssertTrue(saved.hasPrefix("Shopping list\n") && saved.contains("eggs"), saved)
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

        // Both stages' isolation checks are records of the session, every probe in them, before any action.
        let types = records.compactMap { $0["type"] as? String }
        XCTAssertEqual(Array(types.prefix(4)), ["session_start", "isolation", "isolation", "observation"])
        let checks = records.filter { $0["type"] as? String == "isolation" }.compactMap { $0["data"] as? [String: Any] }
        XCTAssertEqual(checks.compactMap { $0["stage"] as? String }, ["rehearsal", "live"])
        XCTAssertEqual(checks.last?["display"] as? String, x.display)
        for check in checks {
            XCTAssertEqual(check["passed"] as? Bool, true)
            XCTAssertEqual(check["outcome"] as? String, "started")
            let probes = check["probes"] as? [[String: Any]] ?? []
            let names = probes.compactMap { $0["name"] as? String }
            for name in ["own-display", "network.loopback", "network.interfaces"] { XCTAssertTrue(names.contains(name), "\(names)") }
            XCTAssertTrue(names.contains { $0.hasSuffix(".cookie-not-shared") }, "\(names)")
            XCTAssertTrue(probes.allSatisfy { $0["passed"] as? Bool == true && !(($0["detail"] as? String) ?? "").isEmpty }, "\(probes)")
        }
        let show = try CLI.run(["audit", "show", runDir])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdoutText.contains("live on \(x.display): passed ("), show.stdoutText)
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

        // The refusal is in the session's audit trail, which verifies: the failed check with every
        // probe, then the end of a session that executed nothing.
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr + verify.stdoutText)
        let records = try String(contentsOfFile: runDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(records.compactMap { $0["type"] as? String }, ["session_start", "isolation", "session_end", "checkpoint"])
        let check = try XCTUnwrap(records[1]["data"] as? [String: Any])
        XCTAssertEqual(check["stage"] as? String, "rehearsal", "the rehearsal stage starts first; the live one never started")
        XCTAssertEqual(check["passed"] as? Bool, false)
        XCTAssertEqual(check["outcome"] as? String, "refused")
        let probes = check["probes"] as? [[String: Any]] ?? []
        let failed = probes.filter { $0["passed"] as? Bool == false }.compactMap { $0["name"] as? String }
        XCTAssertTrue(failed.contains("network.loopback") || failed.contains("network.interfaces"), "\(probes)")
        XCTAssertTrue(probes.contains { $0["passed"] as? Bool == true }, "every probe is recorded, passed ones too: \(probes)")
        XCTAssertEqual((records[2]["data"] as? [String: Any])?["status"] as? String, "isolation_failed")
        let show = try CLI.run(["audit", "show", runDir])
        XCTAssertTrue(show.stdoutText.contains("rehearsal on :"), show.stdoutText)
        XCTAssertTrue(show.stdoutText.contains("FAILED"), show.stdoutText)
        XCTAssertTrue(show.stdoutText.contains("refused"), show.stdoutText)
    }
}
