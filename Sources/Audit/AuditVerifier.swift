// `audit verify`: reads a run directory as an adversary may have left it and checks, in order,
//   framing   every line is a canonical JSON record and the file ends with a newline;
//   chain     seq is 0,1,2,… without gaps and each prev is the SHA-256 of the line before;
//   signature every checkpoint signs (covered seq, head) with the session's key (or the pinned one),
//             and the last checkpoint covers the last record (otherwise the tail may have been cut);
//   blobs     every `*_blob` field names a file in blobs/sha256 whose content hashes to that name;
//   invariants every execution consumes an allow decision, or an ask decision plus an approval bound to
//             the same action digest and screenshot, under the session's policy hash (a decision on a
//             rollback's compensation, `compensation: true`, authorizes none), and none after an
//             `isolation` record whose probes failed; a compensation recorded as sent follows allow
//             decisions on its inputs (and none that refused) in its step; nothing but a
//             checkpoint follows session_end; executions stay within max_steps.
// It stops at the first problem and names its line and seq.

import Crypto
import Foundation
import StrictJSON

public struct AuditProblem: Equatable, CustomStringConvertible {
    public let line: Int
    public let seq: Int64?
    public let message: String
    public var description: String { "line \(line)\(seq.map { " (seq \($0))" } ?? ""): \(message)" }
}

public struct AuditVerification {
    public var records = 0
    public var checkpoints = 0
    public var blobsChecked = 0
    public var executions = 0
    public var recoveries = 0
    public var publicKey: String?
    public var problem: AuditProblem?
    public var isIntact: Bool { problem == nil }
}

public enum AuditVerifier {
    /// `pinnedPublicKey`: base64 raw Ed25519 key the log must be signed with. Without it the verifier trusts
    /// the key in session_start, which proves integrity since the start but not who wrote the log.
    public static func verify(runDirectory: URL, pinnedPublicKey: String? = nil) -> AuditVerification {
        var report = AuditVerification()
        let path = runDirectory.appendingPathComponent(AuditLog.fileName).path
        guard let contents = FileManager.default.contents(atPath: path) else {
            report.problem = AuditProblem(line: 0, seq: nil, message: "no readable audit log at \(path)")
            return report
        }
        var state = State(blobDirectory: AuditLog.blobDirectory(of: runDirectory))
        if let pinnedPublicKey {
            guard let key = AuditPublicKey.parse(pinnedPublicKey) else {
                report.problem = AuditProblem(line: 0, seq: nil, message: "pinned key is not a base64 Ed25519 public key")
                return report
            }
            state.pinnedKey = key
        }
        let (lines, tail) = AuditFraming.split([UInt8](contents))
        for line in lines {
            let record: FramedRecord
            switch AuditFraming.frame(line) {
            case .failure(let framing):
                report.problem = AuditProblem(line: line.number, seq: nil, message: framing.message)
                return report
            case .success(let r): record = r
            }
            if let message = state.check(record, report: &report) {
                // A chain break is reported at the record whose hash no longer matches its successor.
                report.problem = message
                return report
            }
        }
        if !tail.isEmpty {
            report.problem = AuditProblem(line: lines.count + 1, seq: nil,
                                          message: "torn final record (\(tail.count) bytes without a newline); `understudy audit recover` cuts it off and records what was dropped")
            return report
        }
        report.problem = state.finish()
        return report
    }

    struct State {
        let blobDirectory: URL
        var pinnedKey: Curve25519.Signing.PublicKey?
        var sessionKey: Curve25519.Signing.PublicKey?
        var previous: FramedRecord?
        var policyHash: String?
        var maxSteps: Int64?
        var ended = false
        var lastCovered: Int64 = -1
        /// Action digests with an unused allow (or approved ask), keyed to the decision's line.
        var authorized: [String: Int] = [:]
        /// Action digests awaiting approval, with the screenshot the ask decision was made on.
        var pendingAsk: [String: String?] = [:]
        /// Per step, the compensation decisions since the last compensation was sent: (allows, others).
        var compensationDecisions: [Int64: (allows: Int, others: Int)] = [:]
        var checkedBlobs: Set<String> = []
        /// An isolation record reported a failed probe: the run was refused.
        var isolationFailed = false

        mutating func check(_ r: FramedRecord, report: inout AuditVerification) -> AuditProblem? {
            func problem(_ message: String) -> AuditProblem { AuditProblem(line: r.line, seq: r.seq, message: message) }
            let expectedSeq = (previous?.seq ?? -1) + 1
            guard r.seq == expectedSeq else {
                return problem("seq \(r.seq) where \(expectedSeq) was expected: a record was deleted, inserted or reordered")
            }
            if let previous, r.prev != previous.hash {
                return AuditProblem(line: previous.line, seq: previous.seq,
                                    message: "record does not hash to the prev of the next line (\(r.line)): one of the two was altered")
            }
            if previous == nil, r.prev != AuditDigest.genesis { return problem("first record's prev is not the genesis hash") }
            defer { previous = r; report.records += 1 }

            if previous == nil {
                guard r.type == .sessionStart else { return problem("first record is \(r.type.rawValue), not session_start") }
            } else if r.type == .sessionStart {
                return problem("a second session_start")
            }
            if ended && r.type != .checkpoint { return problem("\(r.type.rawValue) after session_end") }
            if let message = checkBlobs(r, report: &report) { return problem(message) }

            switch r.type {
            case .sessionStart:
                guard let keyText = r.data["public_key"]?.stringValue, let key = AuditPublicKey.parse(keyText) else {
                    return problem("session_start has no valid public_key")
                }
                if let pinnedKey, pinnedKey.rawRepresentation != key.rawRepresentation {
                    return problem("log is signed with key \(keyText), not the pinned key")
                }
                sessionKey = key
                report.publicKey = keyText
                guard let hash = r.data["policy_hash"]?.stringValue else { return problem("session_start has no policy_hash") }
                policyHash = hash
                maxSteps = r.data["max_steps"]?.int64Value
            case .checkpoint:
                guard let covers = r.data["covers_seq"]?.int64Value, let head = r.data["head"]?.stringValue,
                      let sigText = r.data["signature"]?.stringValue, let signature = Data(base64Encoded: sigText)
                else { return problem("checkpoint lacks covers_seq, head or signature") }
                guard let previous, covers == previous.seq, head == previous.hash else {
                    return problem("checkpoint does not cover the record before it")
                }
                guard let key = sessionKey,
                      key.isValidSignature(signature, for: AuditPublicKey.checkpointMessage(coversSeq: covers, head: head))
                else { return problem("checkpoint signature does not verify: records up to seq \(covers) were altered or re-signed") }
                lastCovered = r.seq
                report.checkpoints += 1
            case .decision:
                guard let digest = r.data["action_digest"]?.stringValue,
                      let effect = r.data["effect"]?.stringValue.flatMap(AuditDecisionEffect.init(rawValue:))
                else { return problem("decision lacks action_digest or a valid effect") }
                guard r.data["policy_hash"]?.stringValue == policyHash else {
                    return problem("decision cites a policy hash other than the session's")
                }
                guard let ids = r.data["rule_ids"]?.arrayValue, r.data["reason"]?.stringValue != nil else {
                    return problem("decision without rule_ids and a reason")
                }
                // Only a default deny ("no rule permits this") may cite no rule.
                if effect != .deny && ids.isEmpty { return problem("\(effect.rawValue) decision cites no rule") }
                // A decision on a rollback's compensation input authorizes no execution record (its
                // events are the rollback's), so it neither grants nor withdraws an authorization.
                if r.data["compensation"]?.boolValue == true {
                    guard r.data["compensates"]?.stringValue != nil else { return problem("compensation decision without compensates") }
                    let step = r.data["step"]?.int64Value ?? -1
                    var counts = compensationDecisions[step] ?? (0, 0)
                    if effect == .allow { counts.allows += 1 } else { counts.others += 1 }
                    compensationDecisions[step] = counts
                    break
                }
                authorized[digest] = nil
                pendingAsk[digest] = nil
                switch effect {
                case .allow: authorized[digest] = r.line
                case .ask: pendingAsk[digest] = .some(r.data["screenshot_blob"]?.stringValue)
                case .deny: break
                }
            case .approval:
                guard let digest = r.data["action_digest"]?.stringValue, let approved = r.data["approved"]?.boolValue,
                      r.data["approver"]?.stringValue != nil
                else { return problem("approval lacks action_digest, approved or approver") }
                guard let screenshot = pendingAsk[digest] else {
                    return problem("approval for action \(digest.prefix(12))… that no ask decision is waiting on")
                }
                guard r.data["screenshot_blob"]?.stringValue == screenshot else {
                    return problem("approval is bound to a different screenshot than the ask decision")
                }
                pendingAsk[digest] = nil
                if approved { authorized[digest] = r.line }
            case .isolation:
                // A sandbox stage's start-up check: a failed one refuses the run, so nothing may execute after it.
                guard let passed = r.data["passed"]?.boolValue, let probes = r.data["probes"]?.arrayValue else {
                    return problem("isolation record lacks passed or probes")
                }
                let allPassed = !probes.isEmpty && probes.allSatisfy { $0["passed"]?.boolValue == true }
                guard passed == allPassed else { return problem("isolation record's passed disagrees with its probes") }
                if !passed { isolationFailed = true }
            case .rollback:
                // A compensation whose inputs were sent must follow allow decisions on them, and none
                // that refused (the rollback sends nothing unless every input is allowed).
                if r.data["kind"]?.stringValue == "compensation", r.data["ok"]?.boolValue == true,
                   r.data["detail"]?.stringValue?.hasPrefix("sent:") == true {
                    let step = r.data["step"]?.int64Value ?? -1
                    guard let counts = compensationDecisions[step], counts.allows > 0, counts.others == 0 else {
                        return problem("compensation sent in step \(step) without an allow decision on each of its inputs")
                    }
                    compensationDecisions[step] = nil
                }
            case .execution:
                report.executions += 1
                if isolationFailed { return problem("execution after a failed isolation check") }
                guard let digest = r.data["action_digest"]?.stringValue else { return problem("execution lacks action_digest") }
                guard r.data["policy_hash"]?.stringValue == policyHash else {
                    return problem("execution under a policy hash other than the session's")
                }
                guard authorized.removeValue(forKey: digest) != nil else {
                    return problem("execution of action \(digest.prefix(12))… without a preceding allow or bound approval")
                }
                if let maxSteps, Int64(report.executions) > maxSteps {
                    return problem("execution \(report.executions) exceeds max_steps \(maxSteps)")
                }
            case .proposal:
                // A proposal that did not parse (no action, no digest) is recorded too; one that names a
                // digest must name the digest of its action.
                if let digest = r.data["action_digest"] {
                    guard let action = r.data["action"]?.stringValue, digest.stringValue == AuditDigest.hex(action) else {
                        return problem("proposal's action_digest is not the SHA-256 of its action")
                    }
                }
            case .sessionEnd:
                ended = true
            case .recovery:
                report.recoveries += 1
            default:
                break
            }
            return nil
        }

        mutating func checkBlobs(_ r: FramedRecord, report: inout AuditVerification) -> String? {
            for (field, value) in r.data.sorted(by: { $0.key < $1.key }) where field.hasSuffix("_blob") {
                guard let name = value.stringValue, AuditDigest.isHex64(name) else {
                    return "\(field) is not a SHA-256 hex name"
                }
                if checkedBlobs.contains(name) { continue }
                let path = blobDirectory.appendingPathComponent(name).path
                guard let content = FileManager.default.contents(atPath: path) else {
                    return "\(field) names blob \(name), which is missing"
                }
                let actual = AuditDigest.hex(content)
                guard actual == name else { return "\(field) names blob \(name), whose content hashes to \(actual)" }
                checkedBlobs.insert(name)
                report.blobsChecked += 1
            }
            return nil
        }

        func finish() -> AuditProblem? {
            guard let last = previous else { return AuditProblem(line: 0, seq: nil, message: "empty log") }
            if lastCovered != last.seq {
                return AuditProblem(line: last.line, seq: last.seq,
                                    message: "unsigned tail: records after seq \(max(lastCovered, -1)) are not covered by a signed checkpoint (truncated or unfinished log)")
            }
            if !ended {
                return AuditProblem(line: last.line, seq: last.seq,
                                    message: "log ends without session_end (truncated tail or the session is still running)")
            }
            return nil
        }
    }
}
