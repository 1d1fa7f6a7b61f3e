import Foundation
import XCTest
@testable import Actions
@testable import Agent
import Audit

/// The loop's records, written through the real audit log, must pass `audit verify`: executions
/// consume allows, approvals bind to the ask's digest and screenshot, the session ends signed.
final class AuditLogSinkTests: XCTestCase {
    func testLoopWritesAVerifiableLog() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("understudy-sink-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try AuditLog.create(runDir: dir, signingKey: AuditSigningKey(), checkpointInterval: 5)
        let screen = FakeScreen()
        let input = FakeInput()
        let authorizer = FakeAuthorizer(policyHash: String(repeating: "cd", count: 32)) { action, _ in
            switch action {
            case .key: return Authorization(verdict: .deny, ruleIDs: ["forbid-escape-chords"], reason: "escape chord")
            case .type: return Authorization(verdict: .ask, ruleIDs: ["ask-typing"], reason: "typing")
            default: return Authorization(verdict: .allow, ruleIDs: ["permit-clicks"], reason: "clicks")
            }
        }
        let planner = ScriptedPlanner([
            call(#"{"action": "left_click", "coordinate": [500, 500]}"#),
            "garbage",
            call(#"{"action": "key", "keys": ["ctrl", "alt", "t"]}"#),
            call(#"{"action": "type", "text": "Ada"}"#),
            call(#"{"action": "terminate", "status": "success"}"#),
        ])
        let loop = AgentLoop(planner: planner, screen: screen, input: input, authorizer: authorizer,
                             approver: FixedApprover(approve: true), audit: AuditLogSink(log: log), encoder: FakeEncoder(),
                             clock: FakeClock(), configuration: LoopConfiguration(task: "t", maxSteps: 10))
        let result = await loop.run()
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(input.performed.count, 2)
        let verification = AuditVerifier.verify(runDirectory: dir)
        XCTAssertTrue(verification.isIntact, verification.problem?.description ?? "")
        XCTAssertEqual(verification.executions, 2)

        let text = try String(contentsOf: dir.appendingPathComponent(AuditLog.fileName), encoding: .utf8)
        XCTAssertTrue(text.contains("\"status\":\"rejected\""))
        XCTAssertTrue(text.contains("\"effect\":\"deny\""))
        XCTAssertTrue(text.contains("\"type\":\"session_end\""))
    }
}
