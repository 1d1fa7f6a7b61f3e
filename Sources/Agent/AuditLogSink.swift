// `AuditSink` over `Audit.AuditLog`: the loop's events as the log's records (Sources/Audit/README.md
// has the schema). Records that `audit verify` checks are built with Audit's constructors; the loop's
// extra facts (step number, thought, grid action) ride along as additional members.

import Audit
import Foundation
import StrictJSON

public final class AuditLogSink: AuditSink {
    public let log: AuditLog
    /// Recorded in session_start.
    let weightHash: String
    let sandboxHash: String
    let versions: [String: String]

    public init(log: AuditLog, weightHash: String = "none", sandboxHash: String = "none",
                versions: [String: String] = [:]) {
        self.log = log
        self.weightHash = weightHash
        self.sandboxHash = sandboxHash
        self.versions = versions
    }

    public func storeBlob(_ bytes: [UInt8]) throws -> String { try log.putBlob(Data(bytes)) }

    public func record(_ event: AuditEvent) throws {
        func step(_ n: Int) -> JSONValue { .int(Int64(n)) }
        var record: AuditRecord
        switch event {
        case .sessionStart(let task, let model, let policyHash, let maxSteps):
            record = .sessionStart(policyHash: policyHash, modelID: model, weightHash: weightHash, sandboxHash: sandboxHash,
                                   versions: versions, maxSteps: maxSteps, extra: ["task": .string(task)])
        case .observation(let n, let blob, let w, let h):
            record = .observation(screenshotBlob: blob, width: w, height: h)
            record.data["step"] = step(n)
        case .modelCall(let n, let model, let prompt, let image, let response, let ms):
            record = .modelCall(model: model, promptBlob: prompt, responseBlob: response, durationMilliseconds: ms)
            record.data["step"] = step(n)
            record.data["image_blob"] = .string(image)
        case .proposal(let n, let json, let digest, let grid, let thought):
            record = .proposal(actionJSON: json, actionDigest: digest)
            record.data["step"] = step(n)
            record.data["grid_action"] = .string(grid)
            record.data["thought"] = .string(thought)
            record.data["status"] = .string("parsed")
        case .rejectedProposal(let n, let reason, let response):
            record = AuditRecord(type: .proposal, data: [
                "step": step(n), "status": .string("rejected"), "reason": .string(reason), "response_blob": .string(response),
            ])
        case .decision(let n, let digest, let verdict, let rules, let reason, let policyHash, let shot):
            record = .decision(actionDigest: digest, effect: AuditLogSink.effect(verdict), ruleIDs: rules, reason: reason, policyHash: policyHash,
                               screenshotBlob: shot)
            record.data["step"] = step(n)
        case .compensationDecision(let n, let compensates, let json, let digest, let verdict, let rules, let reason,
                                   let policyHash, let shot):
            record = .decision(actionDigest: digest, effect: AuditLogSink.effect(verdict), ruleIDs: rules, reason: reason,
                               policyHash: policyHash, screenshotBlob: shot)
            record.data["step"] = step(n)
            record.data["compensation"] = .bool(true)
            record.data["compensates"] = .string(compensates)
            record.data["action"] = .string(json)
        case .approval(let n, let approver, let approved, let digest, let shot, let annotated):
            record = .approval(approver: approver, approved: approved, actionDigest: digest, screenshotBlob: shot)
            record.data["step"] = step(n)
            if let annotated { record.data["annotated_blob"] = .string(annotated) }
        case .resultReview(let n, let digest, let approver, let kept, let shot):
            record = AuditRecord(type: .resultReview, data: [
                "step": step(n), "action_digest": .string(digest), "approver": .string(approver),
                "kept": .bool(kept), "screenshot_blob": .string(shot),
            ])
        case .rehearsal(let n, let digest, let report, let effectsJSON):
            record = AuditRecord(type: .rehearsal, data: ["step": step(n), "action_digest": .string(digest), "report": .string(report)])
            if let effectsJSON { record.data["effects"] = try AuditJSON.parse(effectsJSON) }
        case .aborted(let n, let digest, let reason):
            record = AuditRecord(type: .verification, data: [
                "step": step(n), "action_digest": .string(digest), "aborted": .bool(true), "reason": .string(reason),
            ])
        case .execution(let n, let digest, let policyHash, let events, let ms):
            record = .execution(actionDigest: digest, policyHash: policyHash, events: events, durationMilliseconds: ms)
            record.data["step"] = step(n)
        case .settle(let n, let stable, let polls, let ms):
            record = AuditRecord(type: .settle, data: [
                "step": step(n), "stable": .bool(stable), "polls": .int(Int64(polls)), "duration_ms": .int(Int64(ms)),
            ])
        case .verification(let n, let digest, let outcome, let detail):
            record = AuditRecord(type: .verification, data: [
                "step": step(n), "action_digest": .string(digest), "outcome": .string(outcome), "detail": .string(detail),
            ])
        case .rollback(let n, let digest, let kind, let detail, let ok, let irreversible, let ruleIDs):
            record = AuditRecord(type: .rollback, data: [
                "step": step(n), "action_digest": .string(digest), "kind": .string(kind), "detail": .string(detail),
                "ok": .bool(ok), "irreversible": .bool(irreversible),
            ])
            if let ruleIDs { record.data["rule_ids"] = .array(ruleIDs.map { .string($0) }) }
        case .isolation(let stage, let display, let probes, let started, let detail):
            record = AuditRecord(type: .isolation, data: [
                "stage": .string(stage), "display": .string(display), "passed": .bool(!probes.isEmpty && probes.allSatisfy(\.passed)),
                "probes": .array(probes.map { JSONValue.object(["name": .string($0.name), "passed": .bool($0.passed), "detail": .string($0.detail)]) }),
                "outcome": .string(started ? "started" : "refused"), "detail": .string(detail),
            ])
        case .sessionEnd(let status, let steps):
            // Writes session_end and the final signed checkpoint.
            try log.close(status: status, steps: steps)
            return
        }
        try log.append(record)
    }

    static func effect(_ verdict: Authorization.Verdict) -> AuditDecisionEffect {
        switch verdict {
        case .allow: return .allow
        case .ask: return .ask
        case .deny: return .deny
        }
    }
}
