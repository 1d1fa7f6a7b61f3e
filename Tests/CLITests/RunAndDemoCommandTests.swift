import Foundation
import XCTest

/// `understudy demo` and `understudy run` as a user runs them: exit codes, the JSON line on stdout,
/// the summary on stderr, and a run directory that `audit verify` accepts.
final class RunAndDemoCommandTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func temporary(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "understudy-cli-\(name)-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func requireApps() throws {
        for tool in ["Xvfb", "zenity", "bwrap"] where (try? CLI.which(tool)) == nil { throw XCTSkip("\(tool) is not installed") }
    }

    func records(_ runDir: String) throws -> [[String: Any]] {
        try String(contentsOfFile: runDir + "/audit.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The demo runs the shipped definition Sandboxes/demo-zenity-entry.toml under bubblewrap, live and
    /// on a rehearsal display, after both isolation checks passed; every executed step is rehearsed
    /// (not passed through) and matches its rehearsal; the oracle is zenity's stdout as the live
    /// sandbox logged it.
    func testDemoCompletesTheTaskWithTheShippedTranscript() throws {
        try requireApps()
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["demo", "--run-dir", runDir, "--key", key], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try result.json()
        XCTAssertEqual(json["task_done"] as? String, "true")
        XCTAssertEqual(json["app_output"] as? String, "Ada Lovelace")
        XCTAssertTrue((json["app_output_source"] as? String)?.hasSuffix("/logs/demo-zenity-entry.stdout") ?? false, "\(json)")
        XCTAssertEqual(json["sandbox"] as? String, "Sandboxes/demo-zenity-entry.toml")
        let isolation = json["isolation"] as? String ?? ""
        XCTAssertTrue(isolation.hasPrefix("live passed (") && isolation.contains(", rehearsal passed ("), isolation)
        XCTAssertEqual(json["rehearsed_steps"] as? String, "3/3 executed steps rehearsed, 3/3 matched their rehearsal")
        XCTAssertEqual(json["exit_code"] as? Int, 0)
        // The demo leaves the run's report next to its audit trail.
        XCTAssertEqual(json["report"] as? String, runDir + "/report.html")
        XCTAssertTrue((try? String(contentsOfFile: runDir + "/report.html", encoding: .utf8))?.contains("The audit log verifies") ?? false)
        XCTAssertTrue(result.stderr.contains("used the shipped replay transcript Sandboxes/demo/zenity-entry.jsonl"), result.stderr)
        XCTAssertTrue(result.stderr.contains("under bubblewrap"), result.stderr)
        XCTAssertTrue(result.stderr.contains("exit code 0"))
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(try verify.json()["executions"] as? Int, 3)

        // The audit itself, read independently of the demo's own check.
        let records = try records(runDir)
        func data(_ type: String) -> [[String: Any]] {
            records.filter { $0["type"] as? String == type }.compactMap { $0["data"] as? [String: Any] }
        }
        let definition = RunAndDemoCommandTests.repository.appendingPathComponent("Sandboxes/demo-zenity-entry.toml").path
        let digest = try CLI.runProcess(try CLI.which("sha256sum"), [definition]).stdoutText.split(separator: " ").first.map(String.init)
        XCTAssertEqual(data("session_start").first?["sandbox_hash"] as? String, digest)
        // Both isolation checks are in the trail, passed, right after session_start.
        XCTAssertEqual(Array(records.compactMap { $0["type"] as? String }.prefix(3)), ["session_start", "isolation", "isolation"])
        XCTAssertEqual(data("isolation").compactMap { $0["stage"] as? String }, ["rehearsal", "live"])
        XCTAssertEqual(data("isolation").compactMap { $0["passed"] as? Bool }, [true, true])
        let executed = data("execution").compactMap { $0["step"] as? Int }
        XCTAssertEqual(executed, [1, 2, 3])
        for step in executed {
            let reports = data("rehearsal").filter { $0["step"] as? Int == step }.compactMap { $0["report"] as? String }
            XCTAssertTrue(reports.contains { $0.hasPrefix("rehearsed: ") }, "step \(step): \(reports)")
            XCTAssertFalse(reports.contains { $0.hasPrefix("not rehearsed") || $0.contains("DIVERGED") }, "step \(step): \(reports)")
            let outcomes = data("verification").filter { $0["step"] as? Int == step }.compactMap { $0["outcome"] as? String }
            XCTAssertEqual(outcomes, ["matched"], "step \(step)")
        }
        // The OK click closed the rehearsal's dialog first: its effects name the window destroyed.
        XCTAssertTrue(data("rehearsal").contains { ($0["report"] as? String)?.contains(#"windows destroyed: ["/usr/bin/zenity"]"#) ?? false })
    }

    func testDemoWithAModelSaysSoAndReportsTheRefusals() throws {
        try requireApps()
        let transcript = RunAndDemoCommandTests.repository.appendingPathComponent("Sandboxes/demo/prompt-injection.jsonl").path
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["demo", "--model", "replay:\(transcript)", "--run-dir", runDir, "--key", key], timeout: 120)
        // The injected turns are all refused: exit 4, the dialog never filled.
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("used the model replay:\(transcript)"), result.stderr)
        let json = try result.json()
        XCTAssertEqual(json["task_done"] as? String, "false")
        XCTAssertEqual(json["executed"] as? Int, 0)
        XCTAssertTrue((json["isolation"] as? String)?.hasPrefix("live passed (") ?? false, "\(json)")
        XCTAssertEqual(try CLI.run(["audit", "verify", runDir]).status, 0)
    }

    /// `run --model DIR` with the tiny random vision-language checkpoint (and the tokenizer made for its
    /// vocabulary, scripts/make-tiny-tokenizer.py): the native engine answers gibberish, every reply is
    /// rejected, nothing is executed, the run stops on the refusal budget (exit 4) and its audit verifies.
    func testRunWithANativeModelDirectoryRejectsGibberishAndVerifies() throws {
        guard (try? CLI.which("Xvfb")) != nil else { throw XCTSkip("Xvfb is not installed") }
        let root = RunAndDemoCommandTests.repository
        let model = temporary("model")
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        for name in ["config.json", "generation_config.json", "preprocessor_config.json", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(
                atPath: model + "/" + name,
                withDestinationPath: root.appendingPathComponent("Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-a/\(name)").path)
        }
        try FileManager.default.createSymbolicLink(
            atPath: model + "/tokenizer.json",
            withDestinationPath: root.appendingPathComponent("Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json").path)
        let x = try XServer(width: 800, height: 600)
        defer { x.stop() }
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["run", "--task", "Click the OK button.", "--model", model, "--display", x.display,
                                  "--run-dir", runDir, "--key", key], environment: x.environment, timeout: 120)
        XCTAssertEqual(result.status, 4, result.stderr)
        let json = try result.json()
        XCTAssertEqual(json["status"] as? String, "too_many_refusals")
        XCTAssertEqual(json["executed"] as? Int, 0)
        XCTAssertEqual(json["model"] as? String, "native:\(model)")
        XCTAssertTrue(result.stderr.contains("reply rejected, nothing executed"), result.stderr)
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(try verify.json()["executions"] as? Int, 0)

        let gguf = try CLI.run(["run", "--task", "x", "--model", model + "/m.gguf"])
        XCTAssertEqual(gguf.status, 2)
        XCTAssertTrue(gguf.stderr.contains("safetensors checkpoints only"), gguf.stderr)
    }

    func testRunRefusesBadSetUpWithExitCode2() throws {
        let bad = try CLI.run(["run", "--task", "x", "--model", "bogus"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("invalid model"), bad.stderr)
        let noPolicy = try CLI.run(["run", "--task", "x", "--model", "replay:/nonexistent.jsonl", "--policy", "/nonexistent.toml"])
        XCTAssertEqual(noPolicy.status, 2)
        // Usage errors the argument parser finds exit 2 as well (not its own 64).
        let zeroSteps = try CLI.run(["run", "--task", "x", "--model", "replay:/x.jsonl", "--max-steps", "0"])
        XCTAssertEqual(zeroSteps.status, 2, zeroSteps.stderr)
        let unknown = try CLI.run(["run", "--task", "x", "--model", "replay:/x.jsonl", "--no-such-option"])
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        // A result review needs a sandbox to roll back in and a person to answer.
        let noSandbox = try CLI.run(["run", "--task", "x", "--model", "replay:/x.jsonl", "--review-results", "--approve", "socket"])
        XCTAssertEqual(noSandbox.status, 2)
        XCTAssertTrue(noSandbox.stderr.contains("--review-results needs --sandbox"), noSandbox.stderr)
        let auto = try CLI.run(["run", "--task", "x", "--model", "replay:/x.jsonl", "--review-results", "--sandbox", "Sandboxes/mousepad.toml"])
        XCTAssertEqual(auto.status, 2)
        XCTAssertTrue(auto.stderr.contains("--approve tty or socket"), auto.stderr)
    }
}
