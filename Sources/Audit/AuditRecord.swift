// One audit event before the log frames it. The log adds `seq`, `prev` and `time`; see README.md for
// the on-disk schema of every type and the fields that `audit verify` relies on.

import Foundation
import StrictJSON

public enum AuditRecordType: String, CaseIterable, Sendable {
    case sessionStart = "session_start"
    case observation
    case modelCall = "model_call"
    case proposal
    case decision
    case approval
    case rehearsal
    case execution
    case settle
    case verification
    case rollback
    /// The start-up isolation check of one sandbox stage: every probe, before any action.
    case isolation
    /// The operator's review of a live step's result: kept, or rejected (and rolled back).
    case resultReview = "result_review"
    case sessionEnd = "session_end"
    /// Written by `AuditLog.open` after a crash; never by callers.
    case recovery
    /// Written by the log itself: a signed statement about the head of the chain.
    case checkpoint

    /// Records that must be on disk (fsync returned) before `append` returns: a decision before its input
    /// events are sent, an approval before it is acted on, and the records that bracket a session.
    var isDurable: Bool {
        switch self {
        case .sessionStart, .decision, .approval, .execution, .sessionEnd, .recovery, .checkpoint: return true
        default: return false
        }
    }
}

/// The effect of a policy decision as the audit log spells it (mirrors Policy's `Decision.Effect`;
/// Audit does not import Policy).
public enum AuditDecisionEffect: String, Sendable {
    case allow, ask, deny
}

public struct AuditRecord: Equatable, Sendable {
    public var type: AuditRecordType
    /// Type-specific fields. Keys ending in `_blob` hold the SHA-256 hex of a blob in `blobs/sha256/`;
    /// `verify` checks that each exists and hashes to its name.
    public var data: [String: JSONValue]

    public init(type: AuditRecordType, data: [String: JSONValue] = [:]) {
        self.type = type
        self.data = data
    }
}

// Constructors for the records whose fields `audit verify` checks. The remaining types (settle,
// verification, rollback, rehearsal) take free-form data.
extension AuditRecord {
    public static func sessionStart(policyHash: String, modelID: String, weightHash: String, sandboxHash: String,
                                    versions: [String: String], maxSteps: Int? = nil,
                                    extra: [String: JSONValue] = [:]) -> AuditRecord {
        var data = extra
        data["policy_hash"] = .string(policyHash)
        data["model_id"] = .string(modelID)
        data["weight_hash"] = .string(weightHash)
        data["sandbox_hash"] = .string(sandboxHash)
        data["versions"] = .object(versions.mapValues { .string($0) })
        if let maxSteps { data["max_steps"] = .int(Int64(maxSteps)) }
        return AuditRecord(type: .sessionStart, data: data)
    }

    public static func observation(screenshotBlob: String, width: Int, height: Int) -> AuditRecord {
        AuditRecord(type: .observation, data: [
            "screenshot_blob": .string(screenshotBlob), "width": .int(Int64(width)), "height": .int(Int64(height)),
        ])
    }

    public static func modelCall(model: String, promptBlob: String, responseBlob: String,
                                 durationMilliseconds: Int) -> AuditRecord {
        AuditRecord(type: .modelCall, data: [
            "model": .string(model), "prompt_blob": .string(promptBlob), "response_blob": .string(responseBlob),
            "duration_ms": .int(Int64(durationMilliseconds)),
        ])
    }

    /// `actionJSON` is the action's canonical JSON; `actionDigest` its SHA-256 (`AuditDigest.hex`).
    public static func proposal(actionJSON: String, actionDigest: String) -> AuditRecord {
        AuditRecord(type: .proposal, data: ["action": .string(actionJSON), "action_digest": .string(actionDigest)])
    }

    public static func decision(actionDigest: String, effect: AuditDecisionEffect, ruleIDs: [String], reason: String,
                                policyHash: String, screenshotBlob: String?) -> AuditRecord {
        var data: [String: JSONValue] = [
            "action_digest": .string(actionDigest), "effect": .string(effect.rawValue),
            "rule_ids": .array(ruleIDs.map { .string($0) }), "reason": .string(reason),
            "policy_hash": .string(policyHash),
        ]
        if let screenshotBlob { data["screenshot_blob"] = .string(screenshotBlob) }
        return AuditRecord(type: .decision, data: data)
    }

    /// An operator's answer to an `ask` decision, bound to the action digest and the screenshot they saw.
    public static func approval(approver: String, approved: Bool, actionDigest: String,
                                screenshotBlob: String?) -> AuditRecord {
        var data: [String: JSONValue] = [
            "approver": .string(approver), "approved": .bool(approved), "action_digest": .string(actionDigest),
        ]
        if let screenshotBlob { data["screenshot_blob"] = .string(screenshotBlob) }
        return AuditRecord(type: .approval, data: data)
    }

    public static func execution(actionDigest: String, policyHash: String, events: [String],
                                 durationMilliseconds: Int) -> AuditRecord {
        AuditRecord(type: .execution, data: [
            "action_digest": .string(actionDigest), "policy_hash": .string(policyHash),
            "events": .array(events.map { .string($0) }), "duration_ms": .int(Int64(durationMilliseconds)),
        ])
    }

    public static func sessionEnd(status: String, steps: Int) -> AuditRecord {
        AuditRecord(type: .sessionEnd, data: ["status": .string(status), "steps": .int(Int64(steps))])
    }
}
