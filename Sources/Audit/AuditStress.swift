// A load generator for crash tests: appends a realistic mix of records as fast as it can and reports
// each seq once `append` has returned. Used by `understudy audit stress-append` and AuditTests.

import Foundation

public enum AuditStress {
    public static func appendUntilKilled(runDir: URL, key: AuditSigningKey, count: Int,
                                         checkpointInterval: Int = 16, report: (Int64) -> Void) throws {
        let log = try AuditLog.create(runDir: runDir, signingKey: key, checkpointInterval: checkpointInterval)
        let policy = String(repeating: "0", count: 64)
        report(try log.append(.sessionStart(policyHash: policy, modelID: "stress", weightHash: "none",
                                            sandboxHash: "none", versions: [:])))
        for i in 0..<max(0, count) {
            let digest = AuditDigest.hex("action \(i)")
            report(try log.append(.proposal(actionJSON: #"{"action":"wait","duration":\#(i)}"#, actionDigest: digest)))
            report(try log.append(.decision(actionDigest: digest, effect: .allow, ruleIDs: ["stress"], reason: "stress",
                                            policyHash: policy, screenshotBlob: nil)))
            report(try log.append(.execution(actionDigest: digest, policyHash: policy, events: ["sleep"],
                                             durationMilliseconds: 0)))
        }
        try log.close(status: "finished", steps: count)
    }
}
