import Foundation
import StrictJSON
import XCTest
@testable import Audit

/// Tampering must make `verify` fail and name the place (safety-design §6).
final class AuditVerifierTests: XCTestCase {
    func testIntactSessionVerifies() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let report = f.verify(pinned: f.key.publicKeyBase64)
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.records, 11)
        XCTAssertEqual(report.executions, 2)
        XCTAssertEqual(report.checkpoints, 1)
        XCTAssertEqual(report.blobsChecked, 1)
    }

    func testFlippedByteIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        var lines = try f.lines()
        // Line 6 is the proposal of B: change one character inside its action text.
        lines[5] = lines[5].replacingOccurrences(of: #"\"text\":\"hi\""#, with: #"\"text\":\"hI\""#)
        try f.writeLines(lines)
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 6)
        XCTAssertEqual(problem.seq, 5)
    }

    func testFlippedByteThatBreaksFramingIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        var bytes = [UInt8](try Data(contentsOf: f.logURL))
        let lines = try f.lines()
        let offset = lines[0].utf8.count + 1 + lines[1].utf8.count + 1 + 1  // second byte of line 3
        bytes[offset] ^= 0x20
        try Data(bytes).write(to: f.logURL)
        XCTAssertEqual(f.verify().problem?.line, 3)
    }

    func testDeletedRecordIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        var lines = try f.lines()
        lines.remove(at: 3)  // the allow decision for A
        try f.writeLines(lines)
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 4)
        XCTAssertTrue(problem.message.contains("seq 4 where 3 was expected"), problem.message)
    }

    func testReorderedRecordsAreNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        var lines = try f.lines()
        lines.swapAt(4, 5)
        try f.writeLines(lines)
        XCTAssertEqual(f.verify().problem?.line, 5)
    }

    func testTruncatedTailIsDetectedBySignedHead() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let lines = try f.lines()
        try f.writeLines(Array(lines.prefix(8)))
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 8)
        XCTAssertTrue(problem.message.contains("unsigned tail"), problem.message)
    }

    func testTruncationAtAnEarlierCheckpointIsDetected() throws {
        let f = try AuditFixture()
        try f.writeSampleSession(checkpointInterval: 3)
        let lines = try f.lines()
        // Cut right after the second checkpoint: every remaining record is signed, but the session never ended.
        let checkpoints = lines.indices.filter { lines[$0].contains(#""type":"checkpoint""#) }
        XCTAssertGreaterThan(checkpoints.count, 2)
        try f.writeLines(Array(lines.prefix(checkpoints[1] + 1)))
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertTrue(problem.message.contains("without session_end"), problem.message)
    }

    func testTornTailIsReported() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let handle = try FileHandle(forWritingTo: f.logURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"data":{"#.utf8))
        try handle.close()
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 12)
        XCTAssertTrue(problem.message.contains("torn"), problem.message)
    }

    func testReplacedBlobIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let name = AuditDigest.hex(Data("fake screenshot".utf8))
        try Data("another screenshot".utf8).write(to: f.runDir.appendingPathComponent("blobs/sha256/\(name)"))
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 2)
        XCTAssertTrue(problem.message.contains(name), problem.message)
    }

    func testMissingBlobIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let name = AuditDigest.hex(Data("fake screenshot".utf8))
        try FileManager.default.removeItem(at: f.runDir.appendingPathComponent("blobs/sha256/\(name)"))
        XCTAssertTrue(f.verify().problem?.message.contains("missing") ?? false)
    }

    func testForgedApprovalWithoutTheKeyFailsTheSignature() throws {
        let f = try AuditFixture()
        try f.writeSampleSession(approveB: false)
        let lines = try f.lines()
        XCTAssertNil(f.verify().problem)
        // Turn the rejection into an approval and re-chain everything after it; only the key could re-sign.
        let forged = try rechain(lines, editing: 7) { $0["approved"] = .bool(true) }
        try f.writeLines(forged)
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertTrue(problem.message.contains("signature"), problem.message)
        XCTAssertEqual(problem.line, lines.count)
    }

    func testApprovalBoundToAnotherActionDoesNotAuthorize() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        try log.append(.decision(actionDigest: "aa", effect: .ask, ruleIDs: ["ask"], reason: "r", policyHash: p,
                                 screenshotBlob: nil))
        try log.append(.approval(approver: "op", approved: true, actionDigest: "bb", screenshotBlob: nil))
        try log.close()
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 3)
        XCTAssertTrue(problem.message.contains("no ask decision"), problem.message)
    }

    func testApprovalForAnotherScreenshotDoesNotAuthorize() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        let shot1 = try log.putBlob(Data("one".utf8)), shot2 = try log.putBlob(Data("two".utf8))
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        try log.append(.decision(actionDigest: "aa", effect: .ask, ruleIDs: ["ask"], reason: "r", policyHash: p,
                                 screenshotBlob: shot1))
        try log.append(.approval(approver: "op", approved: true, actionDigest: "aa", screenshotBlob: shot2))
        try log.close()
        XCTAssertEqual(f.verify().problem?.line, 3)
    }

    func testExecutionWithoutAllowIsNamed() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        try log.append(.decision(actionDigest: "aa", effect: .deny, ruleIDs: [], reason: "no rule permits this",
                                 policyHash: p, screenshotBlob: nil))
        try log.append(.execution(actionDigest: "aa", policyHash: p, events: [], durationMilliseconds: 0))
        try log.close()
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 3)
        XCTAssertEqual(problem.seq, 2)
    }

    func testOneAllowAuthorizesOneExecution() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        try log.append(.decision(actionDigest: "aa", effect: .allow, ruleIDs: ["ok"], reason: "r", policyHash: p,
                                 screenshotBlob: nil))
        try log.append(.execution(actionDigest: "aa", policyHash: p, events: [], durationMilliseconds: 0))
        try log.append(.execution(actionDigest: "aa", policyHash: p, events: [], durationMilliseconds: 0))
        try log.close()
        XCTAssertEqual(f.verify().problem?.line, 4)
    }

    func testDecisionUnderAnotherPolicyIsNamed() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try log.append(.sessionStart(policyHash: "p1", modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        try log.append(.decision(actionDigest: "aa", effect: .allow, ruleIDs: ["ok"], reason: "r", policyHash: "p2",
                                 screenshotBlob: nil))
        try log.close()
        XCTAssertEqual(f.verify().problem?.line, 2)
    }

    func testExecutionsBeyondMaxStepsAreNamed() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:],
                                     maxSteps: 1))
        for _ in 0..<2 {
            try log.append(.decision(actionDigest: "aa", effect: .allow, ruleIDs: ["ok"], reason: "r", policyHash: p,
                                     screenshotBlob: nil))
            try log.append(.execution(actionDigest: "aa", policyHash: p, events: [], durationMilliseconds: 0))
        }
        try log.close()
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 5)
        XCTAssertTrue(problem.message.contains("max_steps"), problem.message)
    }

    func testPinnedKeyMismatchFails() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        let other = AuditSigningKey().publicKeyBase64
        let problem = try XCTUnwrap(f.verify(pinned: other).problem)
        XCTAssertEqual(problem.line, 1)
    }

    func testLogRewrittenWithAnotherKeyFailsOnlyWhenPinned() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        // An attacker who rewrites the whole run with their own key passes an unpinned verify; pinning catches it.
        let attacker = try AuditFixture()
        try attacker.writeSampleSession()
        XCTAssertNil(attacker.verify().problem)
        XCTAssertNotNil(attacker.verify(pinned: f.key.publicKeyBase64).problem)
    }

    func testNonCanonicalLineIsNamed() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        var lines = try f.lines()
        lines[1] = lines[1].replacingOccurrences(of: ",", with: ", ")
        try f.writeLines(lines)
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 2)
        XCTAssertTrue(problem.message.contains("canonical"), problem.message)
    }

    func testProposalWhoseDigestDoesNotMatchItsActionIsNamed() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try log.append(.sessionStart(policyHash: "p", modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        // A proposal the parser rejected carries no action and no digest, and is fine.
        let response = try log.putBlob(Data("garbage".utf8))
        try log.append(AuditRecord(type: .proposal, data: ["status": .string("rejected"), "reason": .string("not JSON"), "response_blob": .string(response)]))
        try log.append(.proposal(actionJSON: #"{"action":"wait","time":1}"#, actionDigest: AuditDigest.hex("something else")))
        try log.close()
        XCTAssertEqual(f.verify().problem?.line, 3)
    }

    func testConcurrentAppendsKeepTheChain() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key, checkpointInterval: 7)
        try log.append(.sessionStart(policyHash: "p", modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            _ = try? log.append(AuditRecord(type: .settle, data: ["i": .int(Int64(i))]))
        }
        try log.close()
        let report = f.verify()
        XCTAssertNil(report.problem, report.problem?.description ?? "")
        XCTAssertGreaterThan(report.records, 200)
    }
}

extension AuditVerifierTests {
    /// A decision on a rollback's compensation input authorizes no execution of the same digest.
    func testACompensationDecisionAuthorizesNoExecution() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let p = AuditFixture.policyHash
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        var compensation = AuditRecord.decision(actionDigest: "bb", effect: .allow, ruleIDs: ["permit-keys"], reason: "compensation: r",
                                                policyHash: p, screenshotBlob: nil)
        compensation.data["compensation"] = .bool(true)
        compensation.data["compensates"] = .string("aa")
        try log.append(compensation)
        try log.append(.execution(actionDigest: "bb", policyHash: p, events: [], durationMilliseconds: 0))
        try log.close()
        let problem = try XCTUnwrap(f.verify().problem)
        XCTAssertEqual(problem.line, 3)
        XCTAssertTrue(problem.message.contains("without a preceding allow"), problem.message)
    }

    /// A compensation the log says was sent must follow allow decisions on its inputs in the same step,
    /// and none that refused.
    func testASentCompensationNeedsAllowDecisions() throws {
        let p = AuditFixture.policyHash
        func decision(_ effect: AuditDecisionEffect) -> AuditRecord {
            var d = AuditRecord.decision(actionDigest: "bb", effect: effect, ruleIDs: ["r"], reason: "compensation",
                                         policyHash: p, screenshotBlob: nil)
            d.data["compensation"] = .bool(true)
            d.data["compensates"] = .string("aa")
            d.data["step"] = .int(3)
            return d
        }
        let sent = AuditRecord(type: .rollback, data: [
            "step": .int(3), "action_digest": .string("aa"), "kind": .string("compensation"),
            "detail": .string("sent: 2 × BackSpace"), "ok": .bool(true), "irreversible": .bool(false),
        ])
        for (decisions, intact) in [([AuditDecisionEffect.allow], true), ([], false), ([.allow, .deny], false)] {
            let f = try AuditFixture()
            let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
            try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
            for effect in decisions { try log.append(decision(effect)) }
            try log.append(sent)
            try log.close()
            let problem = f.verify().problem
            XCTAssertEqual(problem == nil, intact, "\(decisions): \(String(describing: problem))")
            if let problem { XCTAssertTrue(problem.message.contains("compensation sent in step 3"), problem.message) }
        }
    }

    /// The start-up isolation check is a record kind of its own; after a failed one nothing executes.
    func testIsolationRecordsVerifyAndAFailedOneForbidsExecutions() throws {
        func isolation(passed: Bool) -> AuditRecord {
            AuditRecord(type: .isolation, data: [
                "stage": .string("live"), "display": .string(":5"), "passed": .bool(passed), "outcome": .string(passed ? "started" : "refused"),
                "probes": .array([.object(["name": .string("network.loopback"), "passed": .bool(passed), "detail": .string("d")])]),
            ])
        }
        let p = AuditFixture.policyHash
        for (passed, execute, expected) in [(true, true, nil), (false, false, nil), (false, true, 4), (true, false, nil)] as [(Bool, Bool, Int?)] {
            let f = try AuditFixture()
            let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
            try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
            try log.append(isolation(passed: passed))
            try log.append(.decision(actionDigest: "aa", effect: .allow, ruleIDs: ["ok"], reason: "r", policyHash: p, screenshotBlob: nil))
            if execute { try log.append(.execution(actionDigest: "aa", policyHash: p, events: [], durationMilliseconds: 0)) }
            try log.close()
            XCTAssertEqual(f.verify().problem?.line, expected, "passed \(passed), executed \(execute): \(String(describing: f.verify().problem))")
        }
        // A record whose passed flag contradicts its probes is named.
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try log.append(.sessionStart(policyHash: p, modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
        var lying = isolation(passed: false)
        lying.data["passed"] = .bool(true)
        try log.append(lying)
        try log.close()
        XCTAssertEqual(f.verify().problem?.message, "isolation record's passed disagrees with its probes")
    }
}
