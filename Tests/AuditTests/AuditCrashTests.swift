import Foundation
import XCTest
@testable import Audit

/// kill -9 during appends: recovery keeps every record whose append returned (safety-design §6).
///
/// The child is this same test binary, re-run with a filter that selects `testChildAppendLoop` and an
/// environment variable naming the run directory; it appends until it is killed and reports each
/// returned seq on stdout. (The `understudy audit stress-append` debug command does the same from the CLI.)
final class AuditCrashTests: XCTestCase {
    static let runDirVariable = "UNDERSTUDY_AUDIT_STRESS_RUN_DIR"
    static let keyVariable = "UNDERSTUDY_AUDIT_STRESS_KEY"

    func testChildAppendLoop() throws {
        let env = ProcessInfo.processInfo.environment
        guard let runDir = env[Self.runDirVariable], let keyPath = env[Self.keyVariable] else {
            throw XCTSkip("runs only as the child of testKillDuringAppendsKeepsEveryReturnedRecord")
        }
        let key = try AuditSigningKey.load(from: URL(fileURLWithPath: keyPath))
        try AuditStress.appendUntilKilled(runDir: URL(fileURLWithPath: runDir), key: key, count: 1_000_000) { seq in
            print("seq \(seq)")
            fflush(stdout)
        }
    }

    func testKillDuringAppendsKeepsEveryReturnedRecord() throws {
        let f = try AuditFixture()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["AuditTests.AuditCrashTests/testChildAppendLoop"]
        var env = ProcessInfo.processInfo.environment
        env[Self.runDirVariable] = f.runDir.path
        env[Self.keyVariable] = f.root.appendingPathComponent("keys/audit-key").path
        child.environment = env
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = FileHandle.nullDevice
        try child.run()

        // Read reported seqs until enough are in, then kill without warning.
        var buffer = Data()
        var highest: Int64 = -1
        let deadline = Date().addingTimeInterval(60)
        while highest < 300 && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("seq ") {
                if let seq = Int64(line.dropFirst(4)) { highest = max(highest, seq) }
            }
            if buffer.count > 1 << 16 { buffer = Data(buffer.suffix(64)) }
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertGreaterThanOrEqual(highest, 300, "child did not get far enough")

        let (log, recovery) = try AuditLog.open(runDir: f.runDir, signingKey: f.key)
        XCTAssertGreaterThanOrEqual(recovery.lastGoodSeq, highest, "a record whose append returned was lost")
        try log.close(status: "recovered", steps: 0)
        let report = f.verify(pinned: f.key.publicKeyBase64)
        XCTAssertNil(report.problem, report.problem?.description ?? "")
        XCTAssertEqual(report.recoveries, 1)
    }
}
