import Foundation
import StrictJSON
import XCTest
@testable import Audit

/// A run directory and a key directory beside it (the key must live outside the run directory).
final class AuditFixture {
    let root: URL
    let runDir: URL
    let key: AuditSigningKey

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("audit-test-\(UUID().uuidString)")
        runDir = root.appendingPathComponent("run")
        key = try AuditSigningKey.loadOrCreate(at: root.appendingPathComponent("keys").appendingPathComponent("audit-key"))
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var logURL: URL { runDir.appendingPathComponent(AuditLog.fileName) }

    func lines() throws -> [String] {
        let text = try String(contentsOf: logURL, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func writeLines(_ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: logURL, atomically: true, encoding: .utf8)
    }

    func verify(pinned: String? = nil) -> AuditVerification {
        AuditVerifier.verify(runDirectory: runDir, pinnedPublicKey: pinned)
    }

    static let policyHash = String(repeating: "ab", count: 32)

    /// A complete, valid session: one allowed action and one approved action, each executed.
    /// Lines (1-based): 1 session_start, 2 observation, 3 proposal A, 4 decision allow A, 5 execution A,
    /// 6 proposal B, 7 decision ask B, 8 approval B, 9 execution B, 10 session_end, 11 checkpoint.
    func writeSampleSession(checkpointInterval: Int = 100, approveB: Bool = true) throws {
        let log = try AuditLog.create(runDir: runDir, signingKey: key, checkpointInterval: checkpointInterval)
        try log.append(.sessionStart(policyHash: Self.policyHash, modelID: "replay:test", weightHash: "none",
                                     sandboxHash: "none", versions: ["understudy": "0.1.0"], maxSteps: 10))
        let shot = try log.putBlob(Data("fake screenshot".utf8))
        try log.append(.observation(screenshotBlob: shot, width: 1280, height: 800))
        let a = AuditDigest.hex(#"{"action":"left_click","coordinate":[10,20]}"#)
        try log.append(.proposal(actionJSON: #"{"action":"left_click","coordinate":[10,20]}"#, actionDigest: a))
        try log.append(.decision(actionDigest: a, effect: .allow, ruleIDs: ["permit-clicks"], reason: "permitted",
                                 policyHash: Self.policyHash, screenshotBlob: shot))
        try log.append(.execution(actionDigest: a, policyHash: Self.policyHash, events: ["motion 10 20", "button 1"],
                                  durationMilliseconds: 3))
        let b = AuditDigest.hex(#"{"action":"type","text":"hi"}"#)
        try log.append(.proposal(actionJSON: #"{"action":"type","text":"hi"}"#, actionDigest: b))
        try log.append(.decision(actionDigest: b, effect: .ask, ruleIDs: ["ask-typing"], reason: "consequential",
                                 policyHash: Self.policyHash, screenshotBlob: shot))
        try log.append(.approval(approver: "tester", approved: approveB, actionDigest: b, screenshotBlob: shot))
        if approveB {
            try log.append(.execution(actionDigest: b, policyHash: Self.policyHash, events: ["type hi"],
                                      durationMilliseconds: 5))
        }
        try log.close(status: "finished", steps: 2)
    }
}

/// Rewrites the `data` of line `index` (0-based) and re-chains every later record, as an attacker without
/// the signing key would have to: checkpoint heads are updated, their signatures cannot be.
func rechain(_ lines: [String], editing index: Int, _ edit: (inout [String: JSONValue]) -> Void) throws -> [String] {
    var out: [String] = []
    var prev = AuditDigest.genesis
    for (i, line) in lines.enumerated() {
        guard var members = try AuditJSON.parse(line).dictionaryValue else { throw AuditError.nonFiniteNumber }
        if i == index, var data = members["data"]?.dictionaryValue {
            edit(&data)
            members["data"] = .object(data)
        }
        if i > 0 { members["prev"] = .string(prev) }
        if members["type"]?.stringValue == "checkpoint", var data = members["data"]?.dictionaryValue {
            data["head"] = .string(prev)
            members["data"] = .object(data)
        }
        let text = try AuditJSON.encode(JSONValue.object(members))
        prev = AuditDigest.hex(text)
        out.append(text)
    }
    return out
}
