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
        for tool in ["Xvfb", "zenity"] where (try? CLI.which(tool)) == nil { throw XCTSkip("\(tool) is not installed") }
    }

    func testDemoCompletesTheTaskWithTheShippedTranscript() throws {
        try requireApps()
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["demo", "--run-dir", runDir, "--key", key], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try result.json()
        XCTAssertEqual(json["task_done"] as? String, "true")
        XCTAssertEqual(json["app_output"] as? String, "Ada Lovelace")
        XCTAssertEqual(json["exit_code"] as? Int, 0)
        XCTAssertTrue(result.stderr.contains("used the shipped replay transcript Sandboxes/demo/zenity-entry.jsonl"), result.stderr)
        XCTAssertTrue(result.stderr.contains("exit code 0"))
        let verify = try CLI.run(["audit", "verify", runDir])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertEqual(try verify.json()["executions"] as? Int, 3)
    }

    func testDemoWithAModelSaysSoAndReportsTheRefusals() throws {
        try requireApps()
        let transcript = RunAndDemoCommandTests.repository.appendingPathComponent("Sandboxes/demo/prompt-injection.jsonl").path
        let runDir = temporary("run"), key = temporary("key")
        let result = try CLI.run(["demo", "--model", "replay:\(transcript)", "--run-dir", runDir, "--key", key], timeout: 120)
        // The injected turns are all refused: exit 4, the dialog never filled.
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("used the model replay:\(transcript)"), result.stderr)
        XCTAssertEqual(try result.json()["task_done"] as? String, "false")
        XCTAssertEqual(try CLI.run(["audit", "verify", runDir]).status, 0)
    }

    func testRunRefusesBadSetUpWithExitCode2() throws {
        let bad = try CLI.run(["run", "--task", "x", "--model", "bogus"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("invalid model"), bad.stderr)
        let noPolicy = try CLI.run(["run", "--task", "x", "--model", "replay:/nonexistent.jsonl", "--policy", "/nonexistent.toml"])
        XCTAssertEqual(noPolicy.status, 2)
    }
}
