// End-to-end: a private Xvfb, a real application, the real policy, audit log, display adapter and
// parser, and model turns replayed from transcripts in Qwen3-VL's exact output format. The oracle is
// the application's own output. Skipped (not failed) only where Xvfb or the application is missing.

import Foundation
import XCTest
@testable import Actions
@testable import Agent
import Audit
import Desktop
import Policy

/// Counts what reaches the input driver: the proof that a denied action sent no event.
final class CountingInput: InputDriver {
    let inner: InputDriver
    var performed: [Action] = []
    init(_ inner: InputDriver) { self.inner = inner }
    func perform(_ action: Action) throws -> [String] {
        performed.append(action)
        return try inner.perform(action)
    }
}

final class EndToEndTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func path(_ relative: String) -> String { EndToEndTests.repository.appendingPathComponent(relative).path }

    func requireTools(_ tools: [String]) throws {
        for tool in tools where XvfbServer.which(tool) == nil {
            throw XCTSkip("\(tool) is not installed")
        }
    }

    func runDirectory() -> URL {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-e2e-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Runs one session against a fresh Xvfb with `app` started on it.
    func session(app: [String], windowTitle: String, policy: String, transcript: String, task: String,
                 before: ((X11Display) throws -> Void)? = nil) async throws
        -> (result: SessionResult, input: CountingInput?, app: StagedApplication, display: X11Display, runDir: URL, server: XvfbServer) {
        let server = try XvfbServer(width: 1280, height: 800)
        let display = try X11Display(server: server)
        let staged = try StagedApplication(executable: app[0], arguments: Array(app.dropFirst()), environment: server.environment)
        _ = try staged.waitForWindow(titled: windowTitle, on: display)
        // Let the window finish drawing before the first observation.
        _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: display))
        try before?(display)
        let runDir = runDirectory()
        var agent = AgentSession(task: task, policy: try Policy.load(path: path(policy)),
                                 planner: try ReplayPlanner(path: path(transcript)), display: display,
                                 runDirectory: runDir, signingKey: AuditSigningKey())
        var counter: CountingInput?
        agent.inputWrapper = { inner in let c = CountingInput(inner); counter = c; return c }
        let result = try await agent.run()
        return (result, counter, staged, display, runDir, server)
    }

    func testDemoZenityEntryIsFilledAndConfirmed() async throws {
        try requireTools(["Xvfb", "zenity"])
        let demo = DemoScenario.zenityEntry
        let run = try await session(app: [demo.executable] + demo.arguments, windowTitle: demo.windowTitle,
                                    policy: demo.policyPath, transcript: demo.transcriptPath, task: demo.task)
        defer { run.app.stop(); try? run.server.stop() }
        XCTAssertEqual(run.result.outcome, .succeeded, run.result.summary())
        XCTAssertEqual(run.input?.performed.count, 3)
        let finished = run.app.finish(timeout: 5)
        XCTAssertEqual(finished?.status, 0)
        XCTAssertEqual(finished?.output, demo.expectedOutput + "\n")
        let verification = AuditVerifier.verify(runDirectory: run.runDir)
        XCTAssertTrue(verification.isIntact, verification.problem?.description ?? "")
        XCTAssertEqual(verification.executions, 3)
    }
}
