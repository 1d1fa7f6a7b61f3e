// The loop with a rehearsal display (docs/safety-design.md §3): two Xvfbs, the same sandbox definition
// on each (live stage and rehearsal stage, each behind bubblewrap after its isolation check), real
// applications, the real policy, parser, audit log and display adapter, and model turns replayed in
// Qwen3-VL's exact output format. Skipped (not failed) where Xvfb, bubblewrap or the application is
// missing.

import Foundation
import XCTest
@testable import Agent
import Actions
import Audit
import Desktop
import Policy
import Sandbox
import StrictJSON

final class RehearsalLoopTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    typealias Rig = SandboxRig

    func rig(_ definition: SandboxDefinition, window title: String) async throws -> Rig {
        try await sandboxRig(definition, window: title)
    }

    /// One model turn exactly as Qwen3-VL writes it, as a transcript line.
    func turn(_ arguments: String) throws -> String {
        let response = "<tool_call>\n{\"name\": \"computer_use\", \"arguments\": \(arguments)}\n</tool_call>"
        return String(decoding: try JSONSerialization.data(withJSONObject: ["response": response]), as: UTF8.self)
    }

    static let policy = """
        policy = "rehearsal-tests"
        [budgets]
        max_steps = 8
        max_consecutive_denials = 2

        [[rule]]
        id = "permit-observe"
        effect = "permit"
        actions = ["wait", "terminate", "answer"]

        [[rule]]
        id = "permit-app-input"
        effect = "permit"
        actions = ["key", "type"]
        target.executable = ["/usr/bin/mousepad", "/usr/bin/xterm"]

        [[rule]]
        id = "forbid-writes-outside-documents"
        effect = "forbid"
        actions = ["key", "type"]
        effects.files_outside = ["/home/user/Documents"]
        compensation = false
        reason = "the rehearsal wrote outside ~/Documents"
        """

    /// Runs a session on the rig's live display with `turns` replayed.
    func session(_ rig: Rig, turns: [String], rollback: Bool = false, policy: String = RehearsalLoopTests.policy,
                 configure: ((RollbackController) -> Void)? = nil, inputSpy: ((Action) -> Void)? = nil,
                 reviewer: Approver? = nil) async throws
        -> (result: SessionResult, input: SpyInput?, records: [JSONValue], runDir: URL) {
        let runDir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-rehearsal-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: runDir) }
        var agent = AgentSession(task: "test", policy: try Policy(toml: policy),
                                 planner: try ReplayPlanner(path: "test.jsonl", contents: turns.joined(separator: "\n")),
                                 display: rig.display, runDirectory: runDir, signingKey: AuditSigningKey(),
                                 approver: reviewer ?? AutoApprover())
        agent.rehearsal = rig.rehearsal
        agent.reviewResults = reviewer != nil
        if rollback {
            let controller = RollbackController(rehearsal: rig.rehearsal)
            configure?(controller)
            agent.stepGuard = controller
        }
        var spy: SpyInput?
        agent.inputWrapper = { inner in let s = SpyInput(inner, before: inputSpy); spy = s; return s }
        let result = try await agent.run()
        let verification = AuditVerifier.verify(runDirectory: runDir)
        XCTAssertTrue(verification.isIntact, verification.problem?.description ?? "")
        let records = try String(contentsOf: runDir.appendingPathComponent(AuditLog.fileName), encoding: .utf8)
            .split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        return (result, spy, records, runDir)
    }

    func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func types(_ records: [JSONValue]) -> [String] {
        records.compactMap { if case .string(let t)? = $0["type"] { return t } else { return nil } }
    }

    func strings(_ records: [JSONValue], type: String, field: String) -> [String] {
        records.filter { $0["type"] == .string(type) }.compactMap {
            if case .string(let s)? = $0["data"]?[field] { return s } else { return nil }
        }
    }

    // MARK: -

    func testARehearsedSaveShowsTheWriteInTheRehearsalHomeBeforeTheLiveSave() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        let rehearsalNotes = rig.rehearsal.stage.home.path + "/Documents/notes.txt"
        let original = try XCTUnwrap(text(liveNotes))

        var atLiveSave: (rehearsal: String?, live: String?)?
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "type", "text": "eggs"}"#),
            try turn(#"{"action": "key", "keys": ["ctrl", "s"]}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], inputSpy: { action in
            if case .key(let chord) = action, chord.normalized == "ctrl+s" { atLiveSave = (self.text(rehearsalNotes), self.text(liveNotes)) }
        })
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(run.input?.performed.count, 3)
        // When the live ctrl+s was about to be sent, the rehearsal home already held the saved file.
        XCTAssertEqual(atLiveSave?.rehearsal, original + "eggs")
        XCTAssertEqual(atLiveSave?.live, original)
        XCTAssertEqual(text(liveNotes), original + "eggs")
        XCTAssertEqual(text(rehearsalNotes), text(liveNotes))

        // Audit: each executed step was rehearsed and decided again on its effects; the save's
        // rehearsal names the file write inside the permitted folder.
        let reports = strings(run.records, type: "rehearsal", field: "report").filter { $0.hasPrefix("rehearsed") }
        XCTAssertEqual(reports.count, 3, "\(reports)")
        XCTAssertTrue(reports.allSatisfy { $0.hasPrefix("rehearsed:") }, "\(reports)")
        XCTAssertTrue(reports[2].contains("changed Documents/notes.txt"), reports[2])
        let reasons = strings(run.records, type: "decision", field: "reason")
        XCTAssertEqual(reasons.filter { $0.hasPrefix("after rehearsal:") }.count, 3, "\(reasons)")
    }

    func testARehearsalThatWritesOutsideThePermittedFolderIsDeniedBeforeTheLiveDisplay() async throws {
        let seed = NSTemporaryDirectory() + "understudy-term-seed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: seed + "/Documents", withIntermediateDirectories: true)
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: seed + "/keep.txt"))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: seed) }
        let definition = try SandboxDefinition(toml: """
            name = "terminal"
            [app]
            command = ["/usr/bin/xterm", "-geometry", "80x24+0+0"]
            environment = { SHELL = "/bin/sh" }
            [screen]
            width = 800
            height = 600
            [home]
            seed = "\(seed)"
            permitted_writes = ["Documents"]
            """, baseDirectory: "/")
        let rig = try await rig(definition, window: "xterm")
        let liveBefore = try DisplayScreen(display: rig.display).capture()

        let run = try await session(rig, turns: [
            try turn(#"{"action": "type", "text": "rm ~/keep.txt; echo pwned > ~/.profile\n"}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ])
        XCTAssertEqual(run.result.outcome, .taskFailed, run.result.summary())
        // Nothing reached the live display: no input event, the screen and the home as before.
        XCTAssertEqual(run.input?.performed ?? [], [])
        XCTAssertEqual(try DisplayScreen(display: rig.display).capture(), liveBefore)
        XCTAssertEqual(text(rig.live.home.path + "/keep.txt"), "keep me\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: rig.live.home.path + "/.profile"))

        // Audit: proposal, the first decision (effects pending), the rehearsal with its effects, the
        // deny on them, the rehearsal brought back in step; no execution.
        let kinds = types(run.records)
        XCTAssertFalse(kinds.contains("execution"))
        let reports = strings(run.records, type: "rehearsal", field: "report")
        XCTAssertTrue(reports.first?.contains("deleted keep.txt (outside the permitted folders)") ?? false, "\(reports)")
        XCTAssertTrue(reports.first?.contains("created .profile (outside the permitted folders)") ?? false, "\(reports)")
        XCTAssertTrue(reports.dropFirst().first?.hasPrefix("rehearsal kept in step") ?? false, "\(reports)")
        // The effects are a structured member of the rehearsal record.
        let rehearsalRecord = try XCTUnwrap(run.records.first { $0["type"] == .string("rehearsal") })
        guard case .array(let files)? = rehearsalRecord["data"]?["effects"]?["files"] else { return XCTFail("no effects.files") }
        XCTAssertEqual(Set(files.compactMap { f -> String? in
            if case .string(let p)? = f["path"], case .string(let c)? = f["change"] { return "\(c) \(p)" } else { return nil }
        }), ["created .profile", "deleted keep.txt"])
        XCTAssertTrue(files.allSatisfy { $0["permitted"] == .bool(false) })
        let decisions = run.records.filter { $0["type"] == .string("decision") }
        XCTAssertEqual(decisions.first?["data"]?["effect"], .string("allow"))
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["effect"], .string("deny"))
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["rule_ids"], .array([.string("forbid-writes-outside-documents")]))
        let proposal = try XCTUnwrap(kinds.firstIndex(of: "proposal"))
        let rehearsal = try XCTUnwrap(kinds.firstIndex(of: "rehearsal"))
        XCTAssertLessThan(proposal, rehearsal)
        // The rehearsal home was given the live state back.
        XCTAssertEqual(text(rig.rehearsal.stage.home.path + "/keep.txt"), "keep me\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: rig.rehearsal.stage.home.path + "/.profile"))
    }

    func testARehearsalThatDriftedIsReportedAsDivergedAndItsEffectsAreNotTrusted() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let liveNotes = try await saveBehindTheRehearsalsBack(rig)

        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "Home"]}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ])
        XCTAssertEqual(run.result.outcome, .taskFailed, run.result.summary())
        XCTAssertEqual(run.input?.performed ?? [], [])
        let reports = strings(run.records, type: "rehearsal", field: "report")
        XCTAssertTrue(reports.first?.hasPrefix("rehearsed, DIVERGED") ?? false, "\(reports)")
        XCTAssertTrue(reports.first?.contains("home drift [\"Documents/notes.txt\"]") ?? false, "\(reports)")
        // Its effects were withheld from the policy, so the effects forbid failed safe.
        let decisions = run.records.filter { $0["type"] == .string("decision") }
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["effect"], .string("deny"))
        if case .string(let reason)? = decisions.dropFirst().first?["data"]?["reason"] {
            XCTAssertTrue(reason.contains("diverged"), reason)
        } else { XCTFail("no second decision") }
        // Then it adopted the live state.
        XCTAssertTrue(reports.dropFirst().first?.contains("adopted the live state") ?? false, "\(reports)")
        XCTAssertEqual(text(rig.rehearsal.stage.home.path + "/Documents/notes.txt"), text(liveNotes))
    }

    /// The live editor saves something the rehearsal never saw (not through the agent), so the next
    /// rehearsal starts from another state. Returns the live notes file's path.
    func saveBehindTheRehearsalsBack(_ rig: Rig) async throws -> String {
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        try rig.display.pressChord(["ctrl", "End"])
        try rig.display.type("unreplayed")
        try rig.display.pressChord(["ctrl", "s"])
        let deadline = Date().addingTimeInterval(10)
        while !(text(liveNotes)?.hasSuffix("unreplayed") ?? false) && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertTrue(text(liveNotes)?.hasSuffix("unreplayed") ?? false)
        _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: rig.display))
        return liveNotes
    }

    /// A policy can decide on the divergence itself (`rehearsal_diverged = true`), not only through its
    /// effect rules failing safe: here it asks, the unattended approver refuses, nothing is sent.
    func testAPolicyAsksWhenTheRehearsalDiverged() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        _ = try await saveBehindTheRehearsalsBack(rig)
        let shared = RehearsalLoopTests.policy.components(separatedBy: "[[rule]]\nid = \"forbid-writes-outside-documents\"")
        XCTAssertEqual(shared.count, 2, "the shared test policy changed")
        let policy = shared[0] + """
            [[rule]]
            id = "ask-diverged"
            effect = "ask"
            actions = ["key", "type"]
            rehearsal_diverged = true
            compensation = false
            reason = "the rehearsal did not start from the live state"
            """
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "Home"]}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ], policy: policy)
        XCTAssertEqual(run.input?.performed ?? [], [])
        let decisions = run.records.filter { $0["type"] == .string("decision") }.compactMap { $0["data"] }
        XCTAssertEqual(decisions.first?["effect"], .string("allow"), "before the rehearsal the condition is pending")
        XCTAssertEqual(decisions.dropFirst().first?["effect"], .string("ask"))
        XCTAssertEqual(decisions.dropFirst().first?["rule_ids"], .array([.string("ask-diverged")]))
        let approvals = run.records.filter { $0["type"] == .string("approval") }
        XCTAssertEqual(approvals.first?["data"]?["approved"], .bool(false))
    }
}

extension RehearsalLoopTests {
    func testALiveStepThatGoesWrongIsRolledBackAndTheFileRestored() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        let original = try XCTUnwrap(text(liveNotes))

        // The live editor misbehaves just before the live save (its whole text replaced): the save
        // writes "oops" live where the rehearsal wrote the notes with "eggs".
        var injected = false
        let display = rig.display
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "type", "text": "eggs"}"#),
            try turn(#"{"action": "key", "keys": ["ctrl", "s"]}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, inputSpy: { action in
            if case .key(let chord) = action, chord.normalized == "ctrl+s", !injected {
                injected = true
                try? display.pressChord(["ctrl", "a"])
                try? display.type("oops")
            }
        })
        XCTAssertTrue(injected)
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        // The file is back as it was before the step (the unsaved "eggs" went with the restart).
        XCTAssertEqual(text(liveNotes), original)
        let kinds = strings(run.records, type: "rollback", field: "kind")
        XCTAssertEqual(kinds.filter { $0 == "plan" }.count, 3, "\(kinds)")
        for kind in ["divergence", "compensation", "stop-application", "restore-home", "verify-home", "start-application", "check"] {
            XCTAssertTrue(kinds.contains(kind), "\(kind) missing in \(kinds)")
        }
        let outcomes = strings(run.records, type: "verification", field: "outcome")
        XCTAssertEqual(outcomes, ["matched", "matched", "rolled-back"])
        // The rehearsal took the restored live state over.
        XCTAssertEqual(text(rig.rehearsal.stage.home.path + "/Documents/notes.txt"), original)
    }
}

extension RehearsalLoopTests {
    /// Mousepad on the notes without an undo chord and without checkpoints.
    static func bareMousepad() throws -> SandboxDefinition {
        try SandboxDefinition(toml: """
            name = "mousepad-bare"
            [app]
            command = ["/usr/bin/mousepad", "--disable-server", "Documents/notes.txt"]
            [screen]
            width = 1024
            height = 768
            [home]
            seed = "\(RehearsalLoopTests.repository.path)/Sandboxes/mousepad-home"
            permitted_writes = ["Documents"]
            [checkpoint]
            strategy = "none"
            """, baseDirectory: "/")
    }

    func testAFailedRollbackStopsTheSessionWithItsOwnExitCode() async throws {
        // Mousepad without an undo chord and without checkpoints: a save cannot be undone.
        let rig = try await rig(try RehearsalLoopTests.bareMousepad(), window: "notes.txt")
        let display = rig.display
        var injected = false
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "key", "keys": ["ctrl", "s"]}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, inputSpy: { action in
            if case .key(let chord) = action, chord.normalized == "ctrl+s", !injected {
                injected = true
                try? display.pressChord(["ctrl", "a"])
                try? display.type("oops")
            }
        })
        XCTAssertTrue(injected)
        XCTAssertEqual(run.result.outcome.status, "rollback_failed", run.result.summary())
        XCTAssertEqual(run.result.exitCode, 9)
        let plans = run.records.filter { $0["type"] == .string("rollback") && $0["data"]?["kind"] == .string("plan") }
        XCTAssertEqual(plans.last?["data"]?["irreversible"], .bool(true), "the save is marked irreversible before it runs")
        let failed = run.records.filter { $0["type"] == .string("rollback") && $0["data"]?["ok"] == .bool(false) }
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(strings(run.records, type: "session_end", field: "status"), ["rollback_failed"])
        XCTAssertEqual(strings(run.records, type: "verification", field: "outcome"), ["matched"],
                       "step 1 matched; the save that could not be undone has no outcome, the session stopped")
    }
}

extension RehearsalLoopTests {
    func testATypedStepWhoseBackSpacesDoNotRestoreTheScreenFallsBackToTheCheckpoint() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        let original = try XCTUnwrap(text(liveNotes))
        // The live editor receives extra text the rehearsal never saw just before the typing.
        let run = try await divergingTyping(rig, policy: RehearsalLoopTests.policy)
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(text(liveNotes), original)
        let rollback = run.records.filter { $0["type"] == .string("rollback") && $0["data"]?["kind"] != .string("plan") }
        let steps = rollbackSteps(run.records)
        XCTAssertEqual(steps, ["divergence:true", "compensation:true", "check:false", "stop-application:true", "restore-home:true",
                               "verify-home:true", "start-application:true", "check:true"])
        if case .string(let detail)? = rollback.dropFirst().first?["data"]?["detail"] {
            XCTAssertTrue(detail.contains("4 × BackSpace"), detail)
        } else { XCTFail("no compensation record") }
        XCTAssertEqual(strings(run.records, type: "verification", field: "outcome"), ["matched", "rolled-back"])
        // The BackSpaces were put to the policy (once: the same input four times) before they were sent.
        let decisions = compensationDecisions(run.records)
        XCTAssertEqual(decisions.map { $0["data"]?["effect"] }, [.string("allow")])
        XCTAssertEqual(decisions.first?["data"]?["rule_ids"], .array([.string("permit-app-input")]))
        XCTAssertEqual(rollback.dropFirst().first?["data"]?["rule_ids"], .array([.string("permit-app-input")]))
        let backSpace = Action.key(try KeyChord(parsing: "BackSpace"))
        XCTAssertEqual(run.input?.performed.filter { $0 == backSpace }.count, 4)
        let kinds = types(run.records)
        let compensationDecision = try XCTUnwrap(run.records.firstIndex { $0["data"]?["compensation"] == .bool(true) })
        XCTAssertLessThan(compensationDecision, try XCTUnwrap(run.records.firstIndex { $0["data"]?["kind"] == .string("compensation") }))
        XCTAssertEqual(kinds[compensationDecision], "decision")
    }
}

extension RehearsalLoopTests {
    /// The rehearsal-tests policy with the BackSpace compensation forbidden.
    static let forbiddingCompensation = policy + """

        [[rule]]
        id = "forbid-backspace-compensation"
        effect = "forbid"
        actions = ["key"]
        keys.any = ["BackSpace"]
        compensation = true
        reason = "test: compensations by BackSpace are not allowed"
        """

    func compensationDecisions(_ records: [JSONValue]) -> [JSONValue] {
        records.filter { $0["type"] == .string("decision") && $0["data"]?["compensation"] == .bool(true) }
    }

    func rollbackSteps(_ records: [JSONValue]) -> [String] {
        records.filter { $0["type"] == .string("rollback") && $0["data"]?["kind"] != .string("plan") }.compactMap { r in
            guard case .string(let kind)? = r["data"]?["kind"], case .bool(let ok)? = r["data"]?["ok"] else { return nil }
            return "\(kind):\(ok)"
        }
    }

    /// Types "eggs" after extra text the rehearsal never saw reached the live editor, so the step diverges.
    func divergingTyping(_ rig: Rig, policy: String) async throws
        -> (result: SessionResult, input: SpyInput?, records: [JSONValue], runDir: URL) {
        let display = rig.display
        var injected = false
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "type", "text": "eggs"}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, policy: policy, inputSpy: { action in
            if case .type = action, !injected {
                injected = true
                try? display.type("XXXXXXXXXXXXXXXXXXXXXXXX")
            }
        })
        XCTAssertTrue(injected)
        return run
    }

    func testACompensationThePolicyForbidsSendsNothingAndTheCheckpointIsRestored() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        let original = try XCTUnwrap(text(liveNotes))
        let run = try await divergingTyping(rig, policy: RehearsalLoopTests.forbiddingCompensation)
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(text(liveNotes), original)
        // No BackSpace reached the live display: only the model's two actions did.
        XCTAssertEqual(run.input?.performed, [.key(try KeyChord(parsing: "ctrl+End")), .type("eggs")])
        XCTAssertEqual(rollbackSteps(run.records), ["divergence:true", "compensation:false", "stop-application:true",
                                                    "restore-home:true", "verify-home:true", "start-application:true", "check:true"])
        let refused = try XCTUnwrap(run.records.first { $0["data"]?["kind"] == .string("compensation") })
        XCTAssertEqual(refused["data"]?["rule_ids"], .array([.string("forbid-backspace-compensation")]))
        let decisions = compensationDecisions(run.records)
        XCTAssertEqual(decisions.map { $0["data"]?["effect"] }, [.string("deny")])
        XCTAssertEqual(decisions.first?["data"]?["rule_ids"], .array([.string("forbid-backspace-compensation")]))
        XCTAssertEqual(decisions.first?["data"]?["action"], .string(ActionDigest.canonicalJSON(.key(try KeyChord(parsing: "BackSpace")))))
        XCTAssertEqual(strings(run.records, type: "verification", field: "outcome"), ["matched", "rolled-back"])
    }

    func testACompensationThePolicyAsksAboutIsNotSentAndTheCheckpointIsRestored() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        let asking = RehearsalLoopTests.forbiddingCompensation
            .replacingOccurrences(of: "id = \"forbid-backspace-compensation\"\neffect = \"forbid\"",
                                  with: "id = \"ask-backspace-compensation\"\neffect = \"ask\"")
        XCTAssertNotEqual(asking, RehearsalLoopTests.forbiddingCompensation)
        let run = try await divergingTyping(rig, policy: asking)
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(run.input?.performed, [.key(try KeyChord(parsing: "ctrl+End")), .type("eggs")])
        XCTAssertEqual(rollbackSteps(run.records), ["divergence:true", "compensation:false", "stop-application:true",
                                                    "restore-home:true", "verify-home:true", "start-application:true", "check:true"])
        let refused = try XCTUnwrap(run.records.first { $0["data"]?["kind"] == .string("compensation") })
        XCTAssertEqual(refused["data"]?["rule_ids"], .array([.string("ask-backspace-compensation")]))
        XCTAssertTrue(refused["data"]?["detail"]?.stringValue?.contains("asks for approval") ?? false, "\(refused)")
        XCTAssertEqual(compensationDecisions(run.records).map { $0["data"]?["effect"] }, [.string("ask")])
        XCTAssertFalse(types(run.records).contains("approval"), "a compensation is not put to the approver")
    }

    func testACompensationThePolicyForbidsWithoutACheckpointFailsTheRollback() async throws {
        let rig = try await rig(try RehearsalLoopTests.bareMousepad(), window: "notes.txt")
        let run = try await divergingTyping(rig, policy: RehearsalLoopTests.forbiddingCompensation)
        XCTAssertEqual(run.result.outcome.status, "rollback_failed", run.result.summary())
        XCTAssertEqual(run.result.exitCode, 9)
        XCTAssertEqual(run.input?.performed, [.key(try KeyChord(parsing: "ctrl+End")), .type("eggs")])
        XCTAssertEqual(rollbackSteps(run.records), ["divergence:true", "compensation:false"])
        XCTAssertEqual(compensationDecisions(run.records).map { $0["data"]?["effect"] }, [.string("deny")])
        XCTAssertEqual(strings(run.records, type: "session_end", field: "status"), ["rollback_failed"])
    }
}

/// Records what reaches the live input driver, calling `before` just before it is sent.
final class SpyInput: InputDriver {
    let inner: InputDriver
    let before: ((Action) -> Void)?
    var performed: [Action] = []
    init(_ inner: InputDriver, before: ((Action) -> Void)?) { self.inner = inner; self.before = before }
    func perform(_ action: Action) throws -> [String] {
        before?(action)
        performed.append(action)
        return try inner.perform(action)
    }
}

extension RehearsalLoopTests {
    // Regression: the previous step's checkpoint was removed with `try?`, so a failed removal (a
    // checkpoint left behind, disk filling up) was invisible.
    func testACheckpointThatCannotBeRemovedIsAuditedAndTriedAgain() async throws {
        let definition = try SandboxDefinition.load(contentsOf: RehearsalLoopTests.repository.path + "/Sandboxes/mousepad.toml")
        let rig = try await rig(definition, window: "notes.txt")
        var refused: [String] = []
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "key", "keys": ["Home"]}"#),
            try turn(#"{"action": "key", "keys": ["End"]}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, configure: { controller in
            controller.removeDirectory = { directory in
                refused.append(directory)
                throw CocoaError(.fileWriteNoPermission)
            }
        })
        XCTAssertEqual(run.result.outcome, .succeeded, "a checkpoint left behind does not stop the session: \(run.result.summary())")
        let warnings = run.records.filter { $0["type"] == .string("rollback") && $0["data"]?["kind"] == .string("remove-checkpoint") }
        // Step 2 could not remove step 1's checkpoint; step 3 tried it again, and step 2's as well.
        XCTAssertEqual(warnings.map { $0["data"]?["step"] }, [.int(2), .int(3), .int(3)])
        XCTAssertTrue(warnings.allSatisfy { $0["data"]?["ok"] == .bool(false) })
        XCTAssertEqual(refused.count, 3)
        XCTAssertEqual(Set(refused).count, 2)
        XCTAssertTrue(refused.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        for directory in Set(refused) { try? FileManager.default.removeItem(atPath: directory) }
    }
}
