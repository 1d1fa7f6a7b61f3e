import Foundation
import XCTest
@testable import Actions
@testable import Agent
import Desktop
import Imaging
import Sandbox
import StrictJSON

final class AgentLoopTests: XCTestCase {
    var screen = FakeScreen()
    var input = FakeInput()
    var audit = FakeAudit()
    var clock = FakeClock()

    override func setUp() {
        screen = FakeScreen()
        input = FakeInput()
        audit = FakeAudit()
        clock = FakeClock()
        input.audit = audit
        screen.windows = [window(id: 7, title: "Form", className: "Zenity", executable: "/usr/bin/zenity",
                                 x: 0, y: 0, width: 200, height: 100)]
    }

    func loop(_ planner: Planner, authorizer: Authorizer = FakeAuthorizer.allowAll, approver: Approver = AutoApprover(),
              maxSteps: Int = 10, refusals: Int = 3) -> AgentLoop {
        AgentLoop(planner: planner, screen: screen, input: input, authorizer: authorizer, approver: approver,
                  audit: audit, encoder: FakeEncoder(), clock: clock,
                  configuration: LoopConfiguration(task: "fill the form", maxSteps: maxSteps, maxSeconds: 60,
                                                   maxConsecutiveRefusals: refusals, modelPixelBudget: 10_000))
    }

    func testHappyPathMapsExecutesSettlesAndRecordsInOrder() async throws {
        let planner = ScriptedPlanner([
            "I click the field.\n" + call(#"{"action": "left_click", "coordinate": [500, 500]}"#),
            call(#"{"action": "type", "text": "Ada"}"#),
            call(#"{"action": "terminate", "status": "success"}"#),
        ])
        let result = await loop(planner).run()
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(input.performed, [.leftClick(Point(x: 100, y: 50)), .type("Ada")])
        XCTAssertFalse(input.sentWithoutDecision)
        XCTAssertEqual(audit.kinds, [
            "session_start",
            "observation", "model_call", "proposal", "decision:allow", "rehearsal", "execution", "settle",
            "observation", "model_call", "proposal", "decision:allow", "rehearsal", "execution", "settle",
            "observation", "model_call", "proposal", "decision:allow", "end:success",
        ])
        // The model saw the earlier steps as text, and a screenshot scaled under the pixel budget.
        let requests = await planner.requests
        XCTAssertEqual(requests[2].history.count, 2)
        XCTAssertEqual(requests[2].history[0].action, #"{"action":"left_click","coordinate":[500,500]}"#)
        XCTAssertLessThanOrEqual(requests[0].screenshot.width * requests[0].screenshot.height, 10_000)
        // The scaled image the model saw is kept as a blob beside the full screenshot.
        guard case .modelCall(_, _, _, let image, _, _)? = audit.events.first(where: { if case .modelCall = $0 { return true }; return false })
        else { return XCTFail("no model call") }
        XCTAssertEqual(audit.blobs[image], requests[0].screenshot.png)
        XCTAssertTrue(result.summary().contains("exit code 0"))
        XCTAssertLessThanOrEqual(result.summary().split(separator: "\n").count, 24)
    }

    func testRejectedRepliesAreExplainedAuditedAndNeverExecuted() async throws {
        let planner = ScriptedPlanner([
            "I will click OK",
            call(#"{"action": "left_click", "coordinate": [1200, 5]}"#),
            call(#"{"action": "left_click", "coordinate": [5, 5]}"#) + call(#"{"action": "type", "text": "x"}"#),
        ])
        let result = await loop(planner).run()
        XCTAssertEqual(result.outcome, .tooManyRefusals(3))
        XCTAssertEqual(result.exitCode, 4)
        XCTAssertEqual(input.performed, [])
        XCTAssertEqual(audit.kinds.filter { $0 == "rejected" }.count, 3)
        XCTAssertFalse(audit.kinds.contains("execution"))
        let requests = await planner.requests
        XCTAssertNil(requests[0].feedback)
        XCTAssertTrue(requests[1].feedback?.contains("no <tool_call>") ?? false)
        XCTAssertTrue(requests[2].feedback?.contains("outside 0…1000") ?? false, requests[2].feedback ?? "")
        XCTAssertEqual(result.rejected, 3)
    }

    // The prompt-injection shape: the model proposes the escape chord, the policy denies it.
    func testDenialIsAuditedAndNotExecuted() async throws {
        let chord = call(#"{"action": "key", "keys": ["ctrl", "alt", "t"]}"#)
        let planner = ScriptedPlanner([chord, chord, chord])
        let authorizer = FakeAuthorizer { action, _ in
            if case .key = action { return Authorization(verdict: .deny, ruleIDs: ["forbid-escape-chords"], reason: "opens a terminal") }
            return Authorization(verdict: .allow, ruleIDs: ["permit"], reason: "ok")
        }
        let result = await loop(planner, authorizer: authorizer).run()
        XCTAssertEqual(result.exitCode, 4)
        XCTAssertEqual(input.performed, [])
        XCTAssertEqual(audit.kinds.filter { $0 == "proposal" }.count, 3)
        XCTAssertEqual(audit.kinds.filter { $0 == "decision:deny" }.count, 3)
        let requests = await planner.requests
        XCTAssertTrue(requests[1].feedback?.contains("forbid-escape-chords") ?? false)
        XCTAssertEqual(requests[1].history.first?.outcome, .denied("opens a terminal [forbid-escape-chords]"))
    }

    func testAskWithAutoApproverMeansDeny() async throws {
        let planner = ScriptedPlanner([call(#"{"action": "left_click", "coordinate": [10, 10]}"#),
                                       call(#"{"action": "terminate", "status": "failure"}"#)])
        let ask = FakeAuthorizer { action, _ in
            action.kind == .terminate ? Authorization(verdict: .allow, ruleIDs: ["permit-observe"], reason: "ok")
                : Authorization(verdict: .ask, ruleIDs: ["ask-submit"], reason: "consequential")
        }
        let result = await loop(planner, authorizer: ask).run()
        XCTAssertEqual(result.outcome, .taskFailed)
        XCTAssertEqual(result.exitCode, 1)
        XCTAssertEqual(input.performed, [])
        XCTAssertTrue(audit.kinds.contains("approval:false"))
    }

    func testApprovalBoundToDigestRunsOnce() async throws {
        let click = call(#"{"action": "left_click", "coordinate": [10, 10]}"#)
        let ask = FakeAuthorizer { _, _ in Authorization(verdict: .ask, ruleIDs: ["ask-submit"], reason: "consequential") }
        let result = await loop(ScriptedPlanner([click, call(#"{"action": "answer", "text": "done"}"#)]), authorizer: ask,
                                approver: FixedApprover(approve: true)).run()
        XCTAssertEqual(result.outcome, .answered("done"))
        XCTAssertEqual(input.performed.count, 1)
        guard case .approval(_, "test-operator", true, let digest, let shot, _)? = audit.events.first(where: {
            if case .approval = $0 { return true }; return false
        }) else { return XCTFail("no approval record") }
        XCTAssertEqual(digest, ActionDigest.digest(.leftClick(Point(x: 2, y: 1))))
        guard case .observation(_, let observed, _, _)? = audit.events.first(where: { if case .observation = $0 { return true }; return false })
        else { return XCTFail() }
        XCTAssertEqual(shot, observed)
    }

    func testApprovalForAnotherDigestIsRefused() async throws {
        let ask = FakeAuthorizer { _, _ in Authorization(verdict: .ask, ruleIDs: ["ask-submit"], reason: "consequential") }
        let click = call(#"{"action": "left_click", "coordinate": [10, 10]}"#)
        let result = await loop(ScriptedPlanner([click, click, click]), authorizer: ask,
                                approver: FixedApprover(approve: true, tamperDigest: true)).run()
        XCTAssertEqual(result.exitCode, 4)
        XCTAssertEqual(input.performed, [])
    }

    func testLedgerIsSingleUse() throws {
        var ledger = ApprovalLedger()
        let answer = ApprovalAnswer(approved: true, approver: "x", actionDigest: "d", screenshotHash: "s")
        XCTAssertNoThrow(try ledger.consume(answer, step: 1, actionDigest: "d", screenshotHash: "s"))
        XCTAssertThrowsError(try ledger.consume(answer, step: 1, actionDigest: "d", screenshotHash: "s"))
        XCTAssertThrowsError(try ledger.consume(answer, step: 2, actionDigest: "d", screenshotHash: "other"))
    }

    func testTerminateIsPutToThePolicyToo() async throws {
        let planner = ScriptedPlanner([call(#"{"action": "answer", "text": "password: hunter2"}"#),
                                       call(#"{"action": "terminate", "status": "success"}"#)])
        let authorizer = FakeAuthorizer { action, _ in
            action.kind == .answer ? Authorization(verdict: .deny, ruleIDs: ["forbid-secrets"], reason: "credential")
                : Authorization(verdict: .allow, ruleIDs: ["permit-observe"], reason: "ok")
        }
        let result = await loop(planner, authorizer: authorizer).run()
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(audit.kinds.filter { $0.hasPrefix("decision") }, ["decision:deny", "decision:allow"])
    }

    func testStepBudget() async throws {
        let wait = call(#"{"action": "wait", "time": 1}"#)
        let result = await loop(ScriptedPlanner([wait, wait, wait, wait]), maxSteps: 3).run()
        XCTAssertEqual(result.outcome, .budgetExhausted("step budget of 3 used up"))
        XCTAssertEqual(result.exitCode, 3)
        XCTAssertEqual(result.steps, 3)
    }

    func testTimeBudget() async throws {
        let wait = call(#"{"action": "wait", "time": 60}"#)
        let result = await loop(ScriptedPlanner([wait, wait, wait])).run()
        guard case .budgetExhausted(let what) = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertTrue(what.contains("time budget"))
    }

    /// The loop tells the planner how much of the time budget is left, and a planner that ran out of it
    /// ends the session on the budget (exit 3), not as a model failure (exit 6).
    func testTimeBudgetRunningOutDuringATurnIsTheBudgetsEnd() async throws {
        actor SlowPlanner: Planner {
            nonisolated let identity = "slow"
            var seen: [Double?] = []
            func propose(_ request: PlanRequest) async throws -> PlannerTurn {
                seen.append(request.secondsLeft)
                throw AgentError.timeBudgetExhausted(seconds: request.secondsLeft ?? -1, during: "generation")
            }
        }
        let planner = SlowPlanner()
        clock.advance(15)
        let result = await loop(planner).run()
        guard case .budgetExhausted(let what) = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertTrue(what.contains("time budget ran out during generation"), what)
        XCTAssertEqual(result.exitCode, 3)
        let seen = await planner.seen
        XCTAssertEqual(seen, [60], "the whole 60 s budget is left at the first turn (the clock starts with the session)")
    }

    func testAuditFailureStopsBeforeInput() async throws {
        audit.failOn = { if case .decision = $0 { return true }; return false }
        let result = await loop(ScriptedPlanner([call(#"{"action": "left_click", "coordinate": [10, 10]}"#)])).run()
        guard case .auditFailed = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertEqual(result.exitCode, 5)
        XCTAssertEqual(input.performed, [])
    }

    func testPlannerFailure() async throws {
        let result = await loop(ScriptedPlanner([])).run()
        guard case .plannerFailed = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertEqual(result.exitCode, 6)
    }

    // Time of check, time of use: a window appears under the target between decision and execution.
    func testWindowChangeBetweenDecisionAndExecutionAborts() async throws {
        screen.onLookup = { [screen] n in
            if n == 2 {
                screen.windows.append(window(id: 99, title: "Terminal", className: "XTerm", executable: "/usr/bin/xterm",
                                             x: 0, y: 0, width: 50, height: 50))
            }
        }
        let result = await loop(ScriptedPlanner([call(#"{"action": "left_click", "coordinate": [10, 10]}"#),
                                                 call(#"{"action": "terminate", "status": "success"}"#)])).run()
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(input.performed, [])
        XCTAssertTrue(audit.kinds.contains("aborted"))
    }

    // A terminal that grabs the focus after the decision must not receive the typed text.
    func testFocusChangeBeforeTypingAborts() async throws {
        screen.onFocusLookup = { [screen] n in
            if n == 2 {
                screen.windows.append(window(id: 99, title: "Terminal", className: "XTerm", executable: "/usr/bin/xterm",
                                             x: 100, y: 60, width: 50, height: 30))
            }
        }
        let result = await loop(ScriptedPlanner([call(#"{"action": "type", "text": "ls\n"}"#),
                                                 call(#"{"action": "terminate", "status": "success"}"#)])).run()
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(input.performed, [])
        XCTAssertTrue(audit.kinds.contains("aborted"))
        XCTAssertEqual(result.notes.first?.outcome, .failed("the focused window changed between decision and execution"))
    }

    func testSettleWaitsForQuietAndIsBounded() async throws {
        let settler = Settler(policy: SettlePolicy(pollInterval: 0.05, quietPeriod: 0.2, timeout: 2), clock: clock)
        let quiet = try await settler.settle(screen)
        XCTAssertTrue(quiet.stable)
        XCTAssertLessThan(quiet.seconds, 0.5)
        screen.changing = true
        let busy = try await settler.settle(screen)
        XCTAssertFalse(busy.stable)
        XCTAssertGreaterThanOrEqual(busy.seconds, 2)
        XCTAssertLessThan(busy.seconds, 2.2)
    }

    func testTTYApproverNeedsAnExplicitYes() async throws {
        for (typed, expected) in [("yes\n", true), ("y\n", false), ("", false), ("YES \n", true)] {
            let inPipe = Pipe(), outPipe = Pipe()
            inPipe.fileHandleForWriting.write(Data(typed.utf8))
            try inPipe.fileHandleForWriting.close()
            let approver = TTYApprover(input: inPipe.fileHandleForReading, output: outPipe.fileHandleForWriting, name: "tty:test")
            let request = ApprovalRequest(step: 1, action: .leftClick(Point(x: 1, y: 2)), actionJSON: "{}", actionDigest: "d",
                                          screenshotHash: "s", ruleIDs: ["ask-submit"], reason: "consequential", target: nil,
                                          annotatedScreenshotPath: "/tmp/a.png")
            let answer = try await approver.review(request)
            XCTAssertEqual(answer.approved, expected, typed)
            XCTAssertEqual(answer.actionDigest, "d")
            try outPipe.fileHandleForWriting.close()
            let shown = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertTrue(shown.contains("ask-submit: consequential"))
            XCTAssertTrue(shown.contains("/tmp/a.png"))
        }
    }

    func testSocketApproverRecordsPeerCredentials() async throws {
        let path = NSTemporaryDirectory() + "understudy-approve-\(getpid()).sock"
        let approver = try SocketApprover(path: path, timeout: 10)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o077, 0, "socket must not be accessible to others")
        let request = ApprovalRequest(step: 2, action: .type("x"), actionJSON: #"{"action":"type","text":"x"}"#, actionDigest: "dd",
                                      screenshotHash: "ss", ruleIDs: ["ask"], reason: "r", target: nil, annotatedScreenshotPath: nil)
        // The reviewer: a thread that connects, reads the request and approves what it was shown.
        let reviewer = Thread {
            let fd = connectedUnixSocket(path)
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buf, buf.count)
            let text = String(decoding: buf[0..<max(0, n)], as: UTF8.self)
            let ok = text.contains("\"action_digest\":\"dd\"") && text.contains("\"screenshot_hash\":\"ss\"")
            let reply = "{\"approved\": \(ok), \"action_digest\": \"dd\", \"screenshot_hash\": \"ss\"}\n"
            _ = reply.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        reviewer.start()
        let answer = try await approver.review(request)
        XCTAssertTrue(answer.approved)
        XCTAssertTrue(answer.approver.contains("uid=\(getuid())"), answer.approver)
        XCTAssertTrue(answer.approver.contains("pid=\(getpid())"), answer.approver)
    }

    /// A result review is answered as one: a reply without `"review": "result"` (an action reviewer
    /// echoing the request back) does not keep the result; with it, it does.
    func testSocketResultReviewNeedsAReplyThatSaysSo() async throws {
        for (reply, kept) in [(#"{"approved": true, "action_digest": "dd", "screenshot_hash": "ss"}"#, false),
                              (#"{"review": "result", "approved": true, "action_digest": "dd", "screenshot_hash": "ss"}"#, true)] {
            let path = NSTemporaryDirectory() + "understudy-result-\(getpid())-\(kept).sock"
            let approver = try SocketApprover(path: path, timeout: 10)
            var request = ApprovalRequest(step: 2, action: .type("x"), actionJSON: "{}", actionDigest: "dd", screenshotHash: "ss",
                                          ruleIDs: [], reason: "review", target: nil, annotatedScreenshotPath: nil)
            request.kind = .result
            let seen = Box<String>("")
            let reviewer = Thread {
                let fd = connectedUnixSocket(path)
                defer { close(fd) }
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &buf, buf.count)
                seen.value = String(decoding: buf[0..<max(0, n)], as: UTF8.self)
                _ = (reply + "\n").withCString { write(fd, $0, strlen($0)) }
            }
            reviewer.start()
            let answer = try await approver.review(request)
            XCTAssertEqual(answer.approved, kept, answer.approver)
            XCTAssertTrue(seen.value.hasPrefix(#"{"review":"result","#), seen.value)
        }
    }

    func testSocketApproverTimesOutToRefusal() async throws {
        let path = NSTemporaryDirectory() + "understudy-approve-t-\(getpid()).sock"
        let approver = try SocketApprover(path: path, timeout: 0.3)
        let request = ApprovalRequest(step: 1, action: .type("x"), actionJSON: "{}", actionDigest: "dd", screenshotHash: "ss",
                                      ruleIDs: [], reason: "r", target: nil, annotatedScreenshotPath: nil)
        let answer = try await approver.review(request)
        XCTAssertFalse(answer.approved)
    }

    /// An ask writes the screenshot with the target marked outside the display, hands its path to the
    /// approver, and stores it as a blob.
    func testApprovalGetsAnAnnotatedScreenshot() async throws {
        let dir = NSTemporaryDirectory() + "understudy-approvals-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        final class Recorder: Approver, @unchecked Sendable {
            var requests: [ApprovalRequest] = []
            func review(_ request: ApprovalRequest) async throws -> ApprovalAnswer {
                requests.append(request)
                return ApprovalAnswer(approved: false, approver: "recorder", actionDigest: request.actionDigest,
                                      screenshotHash: request.screenshotHash)
            }
        }
        let recorder = Recorder()
        let ask = FakeAuthorizer { action, _ in
            action.kind == .terminate ? Authorization(verdict: .allow, ruleIDs: ["permit-observe"], reason: "ok")
                : Authorization(verdict: .ask, ruleIDs: ["ask-submit"], reason: "consequential")
        }
        let loop = AgentLoop(planner: ScriptedPlanner([call(#"{"action": "left_click", "coordinate": [500, 500]}"#),
                                                       call(#"{"action": "terminate", "status": "failure"}"#)]),
                             screen: screen, input: input, authorizer: ask, approver: recorder, audit: audit,
                             encoder: ImagingEncoder(), clock: clock,
                             configuration: LoopConfiguration(task: "t", approvalDirectory: dir))
        let result = await loop.run()
        XCTAssertEqual(result.exitCode, 1)
        XCTAssertEqual(input.performed, [])
        let path = try XCTUnwrap(recorder.requests.first?.annotatedScreenshotPath)
        let marked = try Image(contentsOfPNGFile: path)
        XCTAssertEqual(marked.width, 200)
        // The crosshair is drawn at the target pixel (100, 50) on a black screen.
        XCTAssertEqual(marked.pixel(x: 100, y: 50), RGB.magenta)
        XCTAssertEqual(marked.pixel(x: 150, y: 90), RGB.black)
        guard case .approval(_, "recorder", false, _, _, let annotated?)? = audit.events.first(where: {
            if case .approval = $0 { return true }; return false
        }) else { return XCTFail("approval record without the annotated screenshot") }
        XCTAssertNotNil(audit.blobs[annotated])
    }

    /// An ask answered on the unix socket by a reviewer who approves exactly what it was shown: the
    /// action runs once, and the approval record names the reviewer by its kernel credentials.
    func testSocketApprovalRunsTheActionOnceAndRecordsThePeer() async throws {
        let path = NSTemporaryDirectory() + "understudy-loop-approve-\(getpid()).sock"
        let approver = try SocketApprover(path: path, timeout: 10)
        let reviewer = Thread {
            let fd = connectedUnixSocket(path)
            defer { close(fd) }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &buf, buf.count)
            guard n > 0, let request = try? JSONValue.parse(String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .newlines)),
                  case .string(let digest)? = request["action_digest"], case .string(let shot)? = request["screenshot_hash"] else { return }
            let reply = "{\"approved\": true, \"action_digest\": \"\(digest)\", \"screenshot_hash\": \"\(shot)\"}\n"
            _ = reply.withCString { write(fd, $0, strlen($0)) }
        }
        reviewer.start()
        let ask = FakeAuthorizer { action, _ in
            action.kind == .terminate ? Authorization(verdict: .allow, ruleIDs: ["permit-observe"], reason: "ok")
                : Authorization(verdict: .ask, ruleIDs: ["ask-submit"], reason: "consequential")
        }
        let result = await loop(ScriptedPlanner([call(#"{"action": "left_click", "coordinate": [10, 10]}"#),
                                                 call(#"{"action": "terminate", "status": "success"}"#)]),
                                authorizer: ask, approver: approver).run()
        XCTAssertEqual(result.exitCode, 0, result.summary())
        XCTAssertEqual(input.performed, [.leftClick(Point(x: 2, y: 1))])
        guard case .approval(_, let who, true, _, _, _)? = audit.events.first(where: { if case .approval = $0 { return true }; return false })
        else { return XCTFail("no approval record") }
        XCTAssertTrue(who.hasPrefix("socket uid=\(getuid())"), who)
        XCTAssertTrue(who.contains("pid=\(getpid())"), who)
    }
}

extension AgentLoopTests {
    /// The sandbox stages' isolation checks are the session's first records after session_start,
    /// before the first observation (so before any action).
    func testThePreambleIsWrittenRightAfterTheSessionStart() async throws {
        let loop = loop(ScriptedPlanner([call(#"{"action": "terminate", "status": "success"}"#)]))
        let probe = IsolationProbe(name: "network.loopback", passed: true, detail: "refused")
        loop.preamble = [.isolation(stage: "rehearsal", display: ":7", probes: [probe], started: true, detail: "ok"),
                         .isolation(stage: "live", display: ":6", probes: [probe], started: true, detail: "ok")]
        let result = await loop.run()
        XCTAssertEqual(result.outcome, .succeeded)
        XCTAssertEqual(Array(audit.kinds.prefix(4)), ["session_start", "isolation:rehearsal:true", "isolation:live:true", "observation"])
    }
}

/// A value a reviewer thread writes and the test reads after the exchange.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// A reviewer's end: a unix stream socket connected to `path`, retried until the approver listens
/// (at most `timeout` seconds; the caller closes it, and a failed connect shows up as a failed read).
func connectedUnixSocket(_ path: String, timeout: Double = 10) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        if ok == 0 { break }
        usleep(10_000)
    }
    return fd
}
