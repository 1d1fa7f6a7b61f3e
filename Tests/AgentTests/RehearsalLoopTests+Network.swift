// Network attempts in the loop with a rehearsal display: a typed command that reaches for the network
// is seen by the rehearsal's network watch and denied by an `effects.network` forbid before the live
// display gets a single event; without the watcher the same rule cannot evaluate and denies too.

import Foundation
import XCTest
@testable import Agent
import Actions
import Desktop
import Sandbox
import StrictJSON

extension RehearsalLoopTests {
    static let networkPolicy = policy + """


        [[rule]]
        id = "forbid-network"
        effect = "forbid"
        actions = ["key", "type"]
        effects.network = true
        reason = "the rehearsal tried to reach a network"
        """

    /// A terminal whose shell is bash (its /dev/tcp makes the connect), with an empty home.
    func bashTerminal() throws -> SandboxDefinition {
        try SandboxDefinition(toml: """
            name = "terminal"
            [app]
            command = ["/usr/bin/xterm", "-geometry", "80x24+0+0"]
            environment = { SHELL = "/bin/bash" }
            [screen]
            width = 800
            height = 600
            [home]
            permitted_writes = ["Documents"]
            """, baseDirectory: "/")
    }

    func testARehearsedNetworkAttemptIsDeniedBeforeTheLiveDisplay() async throws {
        let rig = try await rig(try bashTerminal(), window: "xterm")
        let liveBefore = try DisplayScreen(display: rig.display).capture()
        let run = try await session(rig, turns: [
            try turn(#"{"action": "type", "text": "exec 3<>/dev/tcp/192.0.2.1/80\n"}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ], policy: RehearsalLoopTests.networkPolicy)
        XCTAssertEqual(run.result.outcome, .taskFailed, run.result.summary())
        // Nothing reached the live display.
        XCTAssertEqual(run.input?.performed ?? [], [])
        XCTAssertEqual(try DisplayScreen(display: rig.display).capture(), liveBefore)

        // The deny after the rehearsal names the network rule; the one before it was the pending allow.
        let decisions = run.records.filter { $0["type"] == .string("decision") }
        XCTAssertEqual(decisions.first?["data"]?["effect"], .string("allow"))
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["effect"], .string("deny"))
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["rule_ids"], .array([.string("forbid-network")]))
        // The rehearsal record carries the attempt, structured.
        let rehearsal = try XCTUnwrap(run.records.first { $0["type"] == .string("rehearsal") })
        guard case .array(let attempts)? = rehearsal["data"]?["effects"]?["network"]?["attempts"] else {
            return XCTFail("no effects.network.attempts in \(rehearsal)")
        }
        let seen = attempts.map { a -> String in
            func text(_ key: String) -> String { if case .string(let s)? = a[key] { return s } else { return "?" } }
            return "\(text("call")) \(text("family")) \(text("address")) \(text("executable"))"
        }
        XCTAssertTrue(seen.contains("connect inet 192.0.2.1:80 /usr/bin/bash"), "\(seen)")
        XCTAssertEqual(rehearsal["data"]?["effects"]?["network"]?["namespace"], .string("isolated"))
        // And its one-line report names it.
        guard case .string(let report)? = rehearsal["data"]?["report"] else { return XCTFail("no report") }
        XCTAssertTrue(report.contains("network: isolated, watched: ") && report.contains("connect inet 192.0.2.1:80 by /usr/bin/bash"), report)
    }

    func testWithoutTheWatcherANetworkRuleCannotEvaluateAndDenies() async throws {
        let saved = getenv(NetworkWatcher.environmentVariable).map { String(cString: $0) }
        setenv(NetworkWatcher.environmentVariable, "/nonexistent/understudy-netwatch", 1)
        defer { if let saved { setenv(NetworkWatcher.environmentVariable, saved, 1) } else { unsetenv(NetworkWatcher.environmentVariable) } }
        let rig = try await rig(try bashTerminal(), window: "xterm")
        // A harmless command: without the watcher the rehearsal cannot tell it from one that connects.
        let run = try await session(rig, turns: [
            try turn(#"{"action": "type", "text": "echo hello\n"}"#),
            try turn(#"{"action": "terminate", "status": "failure"}"#),
        ], policy: RehearsalLoopTests.networkPolicy)
        XCTAssertEqual(run.input?.performed ?? [], [])
        let decisions = run.records.filter { $0["type"] == .string("decision") }
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["effect"], .string("deny"))
        XCTAssertEqual(decisions.dropFirst().first?["data"]?["rule_ids"], .array([.string("forbid-network")]))
        let rehearsal = try XCTUnwrap(run.records.first { $0["type"] == .string("rehearsal") })
        XCTAssertEqual(rehearsal["data"]?["effects"]?["network"]?["notObservable"],
                       .string("no watcher program at /nonexistent/understudy-netwatch"), "\(rehearsal)")
    }
}
