import Foundation
import XCTest

/// kill -9 during appends (docs/safety-design.md §6): `understudy audit stress-append` appends and
/// prints each seq once its append has returned; the test kills it without warning, then
/// `audit recover` must keep every returned record and `audit verify` must find the log intact.
final class AuditCrashCommandTests: XCTestCase {
    func testKillDuringAppendsKeepsEveryReturnedRecord() throws {
        let root = NSTemporaryDirectory() + "audit-crash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/keys", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let runDir = root + "/run", keyFile = root + "/keys/audit-key"

        let key = try CLI.run(["audit", "key", "--key-file", keyFile])
        XCTAssertEqual(key.status, 0, key.stderr)
        let publicKey = key.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: try CLI.binary())
        child.arguments = ["audit", "stress-append", runDir, "--count", "1000000", "--key-file", keyFile]
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = FileHandle.nullDevice
        try child.run()

        // Read reported seqs until enough are in, then kill without warning.
        var pending = ""
        var highest: Int64 = -1
        let deadline = Date().addingTimeInterval(60)
        while highest < 300 && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending += String(decoding: chunk, as: UTF8.self)
            var lines = pending.components(separatedBy: "\n")
            pending = lines.removeLast()  // an incomplete line waits for the next chunk
            for line in lines where line.hasPrefix("seq ") {
                if let seq = Int64(line.dropFirst(4)) { highest = max(highest, seq) }
            }
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "the child must die by SIGKILL, not finish")
        XCTAssertGreaterThanOrEqual(highest, 300, "child did not get far enough")

        let recover = try CLI.run(["audit", "recover", runDir, "--key-file", keyFile])
        XCTAssertEqual(recover.status, 0, recover.stderr)
        let recovered = try recover.json()
        let lastGood = (recovered["last_good_seq"] as? NSNumber)?.int64Value ?? -1
        XCTAssertGreaterThanOrEqual(lastGood, highest, "a record whose append returned was lost")

        let verify = try CLI.run(["audit", "verify", runDir, "--key", publicKey])
        XCTAssertEqual(verify.status, 0, verify.stdoutText + verify.stderr)
        XCTAssertEqual((try verify.json()["recoveries"] as? NSNumber)?.intValue, 1)
    }
}
