// The loop's second decision on rehearsed effects, with fakes: the first decision marks effects
// pending, the rehearsal runs, the policy is asked again with the report, and only its verdict lets
// the action reach the input driver. The rehearsal is told whether the live action ran.

import Foundation
import XCTest
@testable import Actions
@testable import Agent
import Desktop

final class FakeEffectsRehearsal: Rehearsal {
    var rehearsed: [Action] = []
    var keptInStep: [Bool] = []
    var providesEffects: Bool { true }
    func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport {
        rehearsed.append(action)
        return RehearsalReport(rehearsed: true, summary: "rehearsed: fake", homeMount: "/home/user")
    }
    func keepInStep(executed: Bool) async throws -> String? {
        keptInStep.append(executed)
        return executed ? nil : "rehearsal kept in step (fake)"
    }
}

struct FakeEffectsAuthorizer: EffectsAuthorizer {
    var policyHash = String(repeating: "ab", count: 32)
    var first: Authorization.Verdict
    var second: Authorization.Verdict
    /// What the first decision saw.
    final class Seen { var pending: [Bool] = [] }
    let seen = Seen()

    func authorize(_ action: Action, context: ActionContext) throws -> Authorization {
        seen.pending.append(context.effectsPending)
        return Authorization(verdict: first, ruleIDs: ["first-\(first.rawValue)"], reason: "first")
    }
    func authorize(_ action: Action, context: ActionContext, rehearsal: RehearsalReport) throws -> Authorization {
        Authorization(verdict: second, ruleIDs: second == .deny ? ["forbid-effects"] : ["second-\(second.rawValue)"], reason: "second")
    }
}

final class EffectsDecisionLoopTests: XCTestCase {
    func run(_ authorizer: FakeEffectsAuthorizer, approver: Approver = AutoApprover())
        async -> (SessionResult, FakeInput, FakeAudit, FakeEffectsRehearsal) {
        let screen = FakeScreen(), input = FakeInput(), audit = FakeAudit(), rehearsal = FakeEffectsRehearsal()
        input.audit = audit
        screen.windows = [window(id: 7, title: "Form", className: "Zenity", executable: "/usr/bin/zenity",
                                 x: 0, y: 0, width: 200, height: 100)]
        let planner = ScriptedPlanner([call(#"{"action": "type", "text": "Ada"}"#),
                                       call(#"{"action": "terminate", "status": "success"}"#)])
        let loop = AgentLoop(planner: planner, screen: screen, input: input, authorizer: authorizer, approver: approver,
                             rehearsal: rehearsal, audit: audit, encoder: FakeEncoder(), clock: FakeClock(),
                             configuration: LoopConfiguration(task: "t", maxSteps: 5, maxSeconds: 60, modelPixelBudget: 10_000))
        let result = await loop.run()
        return (result, input, audit, rehearsal)
    }

    func testADenyOnEffectsSendsNothingAndResetsTheRehearsal() async {
        let auth = FakeEffectsAuthorizer(first: .allow, second: .deny)
        let (result, input, audit, rehearsal) = await run(auth)
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(input.performed, [])
        XCTAssertEqual(rehearsal.rehearsed, [.type("Ada")])
        XCTAssertEqual(rehearsal.keptInStep, [false])
        XCTAssertEqual(auth.seen.pending, [true, false], "effects pending only for the rehearsed action")
        XCTAssertEqual(Array(audit.kinds.prefix(8)), ["session_start", "observation", "model_call", "proposal",
                                                      "decision:allow", "rehearsal", "decision:deny", "rehearsal"])
        XCTAssertFalse(audit.kinds.contains("execution"))
    }

    func testAnAllowOnEffectsExecutes() async {
        let (result, input, audit, rehearsal) = await run(FakeEffectsAuthorizer(first: .allow, second: .allow))
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(input.performed, [.type("Ada")])
        XCTAssertFalse(input.sentWithoutDecision)
        XCTAssertEqual(rehearsal.keptInStep, [true])
        XCTAssertEqual(Array(audit.kinds.prefix(9)), ["session_start", "observation", "model_call", "proposal",
                                                      "decision:allow", "rehearsal", "decision:allow", "execution", "settle"])
    }

    func testAnAskBeforeAndAfterTheRehearsalIsAskedOnceAfterIt() async {
        let (result, input, audit, rehearsal) = await run(FakeEffectsAuthorizer(first: .ask, second: .ask),
                                                          approver: FixedApprover(approve: true))
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(input.performed, [.type("Ada")])
        XCTAssertEqual(rehearsal.rehearsed, [.type("Ada")])
        // One for the typed text (after its rehearsal, which the operator is shown), one for terminate.
        XCTAssertEqual(Array(audit.kinds.prefix(9)), ["session_start", "observation", "model_call", "proposal",
                                                      "decision:ask", "rehearsal", "decision:ask", "approval:true", "execution"])
        XCTAssertEqual(audit.kinds.filter { $0.hasPrefix("approval") }, ["approval:true", "approval:true"])
        XCTAssertEqual(audit.kinds.filter { $0 == "execution" }.count, 1)
    }

    /// An ask before the rehearsal is not dropped when the decision on the effects allows: the operator
    /// still answers, and a refusal sends nothing.
    func testAnAskBeforeTheRehearsalStillNeedsTheOperatorWhenTheEffectsAllow() async {
        let (_, input, audit, rehearsal) = await run(FakeEffectsAuthorizer(first: .ask, second: .allow),
                                                     approver: FixedApprover(approve: false))
        XCTAssertEqual(input.performed, [])
        XCTAssertEqual(rehearsal.keptInStep, [false])
        XCTAssertEqual(Array(audit.kinds.prefix(8)), ["session_start", "observation", "model_call", "proposal",
                                                      "decision:ask", "rehearsal", "decision:ask", "approval:false"])
        XCTAssertFalse(audit.kinds.contains("execution"))
    }

    func testARefusedAskAfterTheRehearsalSendsNothing() async {
        let (_, input, audit, rehearsal) = await run(FakeEffectsAuthorizer(first: .allow, second: .ask))
        XCTAssertEqual(input.performed, [])
        XCTAssertEqual(rehearsal.keptInStep, [false])
        XCTAssertTrue(audit.kinds.contains("approval:false"))
    }
}
