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

    /// The live side and the rehearsal of one definition.
    struct Rig {
        let server: XvfbServer
        let display: X11Display
        let live: SandboxStage
        let rehearsal: SandboxRehearsal
    }

    func requireTools(_ paths: [String]) throws {
        for path in paths where !FileManager.default.isExecutableFile(atPath: path) {
            throw XCTSkip("\(path) is not installed")
        }
    }

    /// Starts the live stage on its Xvfb and the rehearsal on another; both applications are waited
    /// for and the pointer parked over their window (no window manager: keys go under the pointer).
    func rig(_ definition: SandboxDefinition, window title: String) async throws -> Rig {
        try requireTools(["/usr/bin/Xvfb", "/usr/bin/bwrap", definition.app.command[0]])
        let server = try XvfbServer(width: definition.screen.width, height: definition.screen.height)
        addTeardownBlock { try? server.stop() }
        let display = try X11Display(server: server)
        let endpoint = DisplayEndpoint(number: server.displayNumber, authorityFile: server.authorityFile)
        let live = try SandboxStage(definition: definition, display: endpoint, role: .live)
        addTeardownBlock { live.stop(); try? live.home.discard() }
        let rehearsal = try SandboxRehearsal.launch(definition: definition, live: live, liveScreen: DisplayScreen(display: display),
                                                    otherDisplays: [endpoint])
        addTeardownBlock { rehearsal.stop() }
        XCTAssertTrue(try live.start(otherDisplays: [rehearsal.endpoint]).passed)
        XCTAssertTrue(rehearsal.stage.isolation?.passed ?? false)
        for d in [display, rehearsal.screen.display] {
            try park(d, title)
            _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: d))
        }
        return Rig(server: server, display: display, live: live, rehearsal: rehearsal)
    }

    func park(_ display: Display, _ title: String) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let w = try display.windows().first(where: { ($0.title ?? "").contains(title) }) {
                try display.movePointer(to: ScreenPoint(x: w.frame.x + w.frame.width / 2, y: w.frame.y + w.frame.height / 2))
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("no window titled \(title)")
        throw XCTSkip("no window titled \(title)")
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
        reason = "the rehearsal wrote outside ~/Documents"
        """

    /// Runs a session on the rig's live display with `turns` replayed.
    func session(_ rig: Rig, turns: [String], policy: String = RehearsalLoopTests.policy, rollback: Bool = false,
                 inputSpy: ((Action) -> Void)? = nil) async throws
        -> (result: SessionResult, input: SpyInput?, records: [JSONValue], runDir: URL) {
        let runDir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-rehearsal-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: runDir) }
        var agent = AgentSession(task: "test", policy: try Policy(toml: policy),
                                 planner: try ReplayPlanner(path: "test.jsonl", contents: turns.joined(separator: "\n")),
                                 display: rig.display, runDirectory: runDir, signingKey: AuditSigningKey())
        agent.rehearsal = rig.rehearsal
        if rollback { agent.stepGuard = RollbackController(rehearsal: rig.rehearsal) }
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
        let liveNotes = rig.live.home.path + "/Documents/notes.txt"
        // The live editor saves something the rehearsal never saw (not through the agent).
        try rig.display.pressChord(["ctrl", "End"])
        try rig.display.type("unreplayed")
        try rig.display.pressChord(["ctrl", "s"])
        let deadline = Date().addingTimeInterval(10)
        while !(text(liveNotes)?.hasSuffix("unreplayed") ?? false) && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        XCTAssertTrue(text(liveNotes)?.hasSuffix("unreplayed") ?? false)
        _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: rig.display))

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
    func testAFailedRollbackStopsTheSessionWithItsOwnExitCode() async throws {
        // Mousepad without an undo chord and without checkpoints: a save cannot be undone.
        let definition = try SandboxDefinition(toml: """
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
        let rig = try await rig(definition, window: "notes.txt")
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
        let display = rig.display
        var injected = false
        let run = try await session(rig, turns: [
            try turn(#"{"action": "key", "keys": ["ctrl", "End"]}"#),
            try turn(#"{"action": "type", "text": "eggs"}"#),
            try turn(#"{"action": "terminate", "status": "success"}"#),
        ], rollback: true, inputSpy: { action in
            // The live editor receives extra text the rehearsal never saw just before the typing.
            if case .type = action, !injected {
                injected = true
                try? display.type("XXXXXXXXXXXXXXXXXXXXXXXX")
            }
        })
        XCTAssertTrue(injected)
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(text(liveNotes), original)
        let rollback = run.records.filter { $0["type"] == .string("rollback") && $0["data"]?["kind"] != .string("plan") }
        let steps = rollback.compactMap { r -> String? in
            guard case .string(let kind)? = r["data"]?["kind"], case .bool(let ok)? = r["data"]?["ok"] else { return nil }
            return "\(kind):\(ok)"
        }
        XCTAssertEqual(steps, ["divergence:true", "compensation:true", "check:false", "stop-application:true", "restore-home:true",
                               "verify-home:true", "start-application:true", "check:true"])
        if case .string(let detail)? = rollback.dropFirst().first?["data"]?["detail"] {
            XCTAssertTrue(detail.contains("4 × BackSpace"), detail)
        } else { XCTFail("no compensation record") }
        XCTAssertEqual(strings(run.records, type: "verification", field: "outcome"), ["matched", "rolled-back"])
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
