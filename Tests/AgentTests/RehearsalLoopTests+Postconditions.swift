// The definition's post-conditions as rollback triggers, with a real xterm in its sandbox: a step whose
// live outcome matched its rehearsal is still rolled back when a post-condition fails afterwards — a
// check program (run in the sandbox on the live home), writes outside the permitted folders, or the
// application gone — and the checkpoint brings the home (and the application) back.

import Foundation
import XCTest
@testable import Agent
import Actions
import Desktop
import Sandbox
import StrictJSON

extension RehearsalLoopTests {
    /// The shared policy without its effect forbid: here the post-conditions are what catches the step.
    static var inputOnlyPolicy: String {
        policy.components(separatedBy: "[[rule]]\nid = \"forbid-writes-outside-documents\"")[0]
    }

    /// A /bin/sh xterm with an empty home, checkpointed by copy and restarted after a restore.
    func checkpointedTerminal(permitted: String = "Documents", postconditions: String? = nil) throws -> SandboxDefinition {
        try SandboxDefinition(toml: """
            name = "terminal"
            [app]
            command = ["/usr/bin/xterm", "-geometry", "80x24+0+0"]
            environment = { SHELL = "/bin/sh" }
            [screen]
            width = 800
            height = 600
            [home]
            permitted_writes = ["\(permitted)"]
            [checkpoint]
            strategy = "copy-home"
            restart_after_restore = true
            \(postconditions.map { "[postconditions]\n" + $0 } ?? "")
            """, baseDirectory: "/")
    }

    func terminalWithPostconditions(_ postconditions: String) throws -> SandboxDefinition {
        try checkpointedTerminal(postconditions: postconditions)
    }

    func rollbackRecords(_ records: [JSONValue]) -> [(kind: String, ok: Bool, detail: String)] {
        records.filter { $0["type"] == .string("rollback") }.compactMap { r in
            guard case .string(let kind)? = r["data"]?["kind"], case .bool(let ok)? = r["data"]?["ok"],
                  case .string(let detail)? = r["data"]?["detail"] else { return nil }
            return (kind, ok, detail)
        }
    }

    func testFailedCheckAndWritesOutsideThePermittedFolderAreRolledBack() async throws {
        let definition = try terminalWithPostconditions("""
            writes_permitted = true
            check = ["/usr/bin/test", "!", "-e", "Documents/flag.txt"]
            """)
        XCTAssertTrue(definition.postconditions.writesPermitted)
        let rig = try await rig(definition, window: "xterm")
        try FileManager.default.createDirectory(atPath: rig.live.home.path + "/Documents", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: rig.rehearsal.stage.home.path + "/Documents", withIntermediateDirectories: true)
        let run = try await session(rig, turns: [
            // Inside the permitted folder, but the check program says no.
            try turn(#"{"action": "type", "text": "touch Documents/flag.txt\n"}"#),
            // Passes the check, but writes outside Documents.
            try turn(#"{"action": "type", "text": "echo x > outside.txt\n"}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, policy: RehearsalLoopTests.inputOnlyPolicy)
        let outcomes = strings(run.records, type: "verification", field: "outcome")
        XCTAssertEqual(outcomes, ["rolled-back", "rolled-back"], run.result.summary())
        let details = strings(run.records, type: "verification", field: "detail")
        XCTAssertTrue(details.first?.contains("post-condition failed: check (/usr/bin/test ! -e Documents/flag.txt exited 1)") ?? false, "\(details)")
        XCTAssertTrue(details.last?.contains("post-condition failed: writes_permitted (changed outside [\"Documents\"]: [\"outside.txt\"])") ?? false, "\(details)")
        let post = rollbackRecords(run.records).filter { $0.kind == "postcondition" }
        XCTAssertEqual(post.map(\.ok), [true, false, false, true], "\(post)")
        // Both were undone by the checkpoint: neither file is in the live home.
        XCTAssertFalse(FileManager.default.fileExists(atPath: rig.live.home.path + "/Documents/flag.txt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: rig.live.home.path + "/outside.txt"))
        XCTAssertTrue(rollbackRecords(run.records).contains { $0.kind == "restore-home" && $0.ok })
    }

    func testAnApplicationThatDiedIsRestoredAndStartedAgain() async throws {
        let definition = try terminalWithPostconditions("app_running = true")
        let rig = try await rig(definition, window: "xterm")
        let run = try await session(rig, turns: [
            try turn(#"{"action": "type", "text": "exit\n"}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ], rollback: true, policy: RehearsalLoopTests.inputOnlyPolicy)
        let details = strings(run.records, type: "verification", field: "detail")
        XCTAssertTrue(details.first?.contains("post-condition failed: app_running (terminal is not running)") ?? false, "\(details)")
        let kinds = rollbackRecords(run.records).map(\.kind)
        XCTAssertTrue(kinds.contains("restore-home") && kinds.contains("start-application"), "\(kinds)")
        XCTAssertTrue(rig.live.app.isRunning, "the terminal runs again after the rollback")
    }

    func testPostconditionsAreStrict() throws {
        XCTAssertThrowsError(try terminalWithPostconditions("app_runing = true")) { XCTAssertTrue("\($0)".contains("app_runing"), "\($0)") }
        XCTAssertThrowsError(try terminalWithPostconditions("check = []"))
        XCTAssertThrowsError(try terminalWithPostconditions("check_timeout = 0\napp_running = true"))
        XCTAssertThrowsError(try terminalWithPostconditions("")) { XCTAssertTrue("\($0)".contains("empty table"), "\($0)") }
    }
}

extension RehearsalLoopTests {
    /// An operator who rejects the first result and keeps the second, answering bound to what was shown.
    final class ScriptedReviewer: Approver, @unchecked Sendable {
        var answers: [Bool]
        var requests: [ApprovalRequest] = []
        init(_ answers: [Bool]) { self.answers = answers }
        func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
            requests.append(request)
            let keep = answers.isEmpty ? false : answers.removeFirst()
            return ApprovalAnswer(approved: keep, approver: "scripted reviewer", actionDigest: request.actionDigest,
                                  screenshotHash: request.screenshotHash)
        }
    }

    /// `reviewResults`: the operator sees the screen after each live step; a rejected result is rolled
    /// back (the file the step made is gone), a kept one stands; both reviews are audited and bound to
    /// the after-step screenshot.
    func testAResultTheOperatorRejectsIsRolledBack() async throws {
        let rig = try await rig(try checkpointedTerminal(permitted: "."), window: "xterm")
        let reviewer = ScriptedReviewer([false, true])
        let run = try await session(rig, turns: [
            try turn(#"{"action": "type", "text": "touch rejected.txt\n"}"#),
            try turn(#"{"action": "type", "text": "touch kept.txt\n"}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, policy: RehearsalLoopTests.inputOnlyPolicy, reviewer: reviewer)
        XCTAssertEqual(reviewer.requests.map(\.kind), [.result, .result])
        XCTAssertEqual(strings(run.records, type: "verification", field: "outcome"), ["matched", "rolled-back", "matched"],
                       run.result.summary())
        let details = strings(run.records, type: "verification", field: "detail")
        XCTAssertTrue(details.dropFirst().first?.contains("the operator (scripted reviewer) rejected the result") ?? false, "\(details)")
        let reviews = run.records.filter { $0["type"] == .string("result_review") }.compactMap { $0["data"] }
        XCTAssertEqual(reviews.map { $0["kept"] }, [.bool(false), .bool(true)])
        // Bound to the screen after the step, which the audit holds as a blob.
        XCTAssertEqual(reviews.first?["screenshot_blob"], .string(reviewer.requests[0].screenshotHash))
        XCTAssertFalse(FileManager.default.fileExists(atPath: rig.live.home.path + "/rejected.txt"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: rig.live.home.path + "/kept.txt"))
    }
}
