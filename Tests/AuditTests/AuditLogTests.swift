import Foundation
import StrictJSON
import XCTest
@testable import Audit

/// Storage that fails on command, to prove that one failed write stops the log for good.
final class FailingStorage: AuditStorage {
    var failWrites = false
    var failSyncs = false
    var written: [UInt8] = []
    var syncs = 0
    func append(_ bytes: [UInt8]) throws {
        if failWrites { throw AuditError.io(operation: "write", path: "test", errno: ENOSPC) }
        written += bytes
    }
    func sync() throws {
        if failSyncs { throw AuditError.io(operation: "fsync", path: "test", errno: EIO) }
        syncs += 1
    }
}

final class AuditLogTests: XCTestCase {
    func start(_ log: AuditLog) throws {
        try log.append(.sessionStart(policyHash: "p", modelID: "m", weightHash: "w", sandboxHash: "s", versions: [:]))
    }

    func testDecisionsAreFsyncedBeforeAppendReturns() throws {
        let f = try AuditFixture()
        let storage = FailingStorage()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key, storage: storage)
        try start(log)
        let afterStart = storage.syncs
        try log.append(AuditRecord(type: .settle, data: ["ms": .int(3)]))
        XCTAssertEqual(storage.syncs, afterStart, "settle records are not forced to disk")
        try log.append(.decision(actionDigest: "a", effect: .allow, ruleIDs: ["r"], reason: "x", policyHash: "p",
                                 screenshotBlob: nil))
        XCTAssertEqual(storage.syncs, afterStart + 1)
    }

    func testWriteErrorStopsTheLog() throws {
        let f = try AuditFixture()
        let storage = FailingStorage()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key, storage: storage)
        try start(log)
        storage.failSyncs = true
        XCTAssertThrowsError(try log.append(.decision(actionDigest: "a", effect: .allow, ruleIDs: ["r"], reason: "x",
                                                      policyHash: "p", screenshotBlob: nil)))
        storage.failSyncs = false
        // Not retried, not resumed: every later append is refused.
        XCTAssertThrowsError(try log.append(AuditRecord(type: .settle))) { error in
            guard case AuditError.logUnusable = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try log.close())
    }

    func testFirstRecordMustBeSessionStartAndNothingFollowsTheEnd() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        XCTAssertThrowsError(try log.append(AuditRecord(type: .observation)))
        try start(log)
        XCTAssertThrowsError(try log.append(AuditRecord(type: .checkpoint)))
        XCTAssertThrowsError(try log.append(AuditRecord(type: .recovery)))
        try log.append(.sessionEnd(status: "done", steps: 0))
        XCTAssertThrowsError(try log.append(AuditRecord(type: .settle)))
    }

    func testCreateRefusesAnExistingLogAndAKeyInsideTheRunDirectory() throws {
        let f = try AuditFixture()
        try f.writeSampleSession()
        XCTAssertThrowsError(try AuditLog.create(runDir: f.runDir, signingKey: f.key))
        let other = f.root.appendingPathComponent("run2")
        let inside = try AuditSigningKey.loadOrCreate(at: other.appendingPathComponent("keys/k"))
        XCTAssertThrowsError(try AuditLog.create(runDir: other, signingKey: inside)) { error in
            guard case AuditError.keyInsideRunDirectory = error else { return XCTFail("\(error)") }
        }
    }

    func testKeyFileIsPrivateAndReloads() throws {
        let f = try AuditFixture()
        let path = f.root.appendingPathComponent("keys/audit-key")
        let attributes = try FileManager.default.attributesOfItem(atPath: path.path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try AuditSigningKey.load(from: path).publicKeyBase64, f.key.publicKeyBase64)
        chmod(path.path, 0o644)
        XCTAssertThrowsError(try AuditSigningKey.load(from: path))
    }

    func testBlobsAreContentAddressed() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        let name = try log.putBlob(Data("abc".utf8))
        XCTAssertEqual(name, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try Data(contentsOf: f.runDir.appendingPathComponent("blobs/sha256/\(name)")), Data("abc".utf8))
        XCTAssertEqual(try log.putBlob(Data("abc".utf8)), name)
    }

    func testTornTailIsCutOffAndReported() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try start(log)
        try log.append(AuditRecord(type: .settle, data: ["n": .int(1)]))
        let original = try Data(contentsOf: f.logURL)
        let torn = Data(#"{"data":{"n":2},"prev":"#.utf8)
        let handle = try FileHandle(forWritingTo: f.logURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: torn)
        try handle.close()

        let (reopened, recovery) = try AuditLog.open(runDir: f.runDir, signingKey: f.key)
        XCTAssertEqual(recovery.droppedBytes, torn.count)
        XCTAssertEqual(recovery.lastGoodSeq, 1)
        XCTAssertEqual(recovery.recoverySeq, 2)
        try reopened.close()
        XCTAssertEqual(try Data(contentsOf: f.logURL).prefix(original.count), original, "good records are kept as they were")
        let report = f.verify()
        XCTAssertNil(report.problem)
        XCTAssertEqual(report.recoveries, 1)
        XCTAssertTrue(try f.lines()[2].contains(#""dropped_bytes":\#(torn.count)"#))
    }

    func testUnparsableFinalLineIsTreatedAsTorn() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try start(log)
        let handle = try FileHandle(forWritingTo: f.logURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 0, 0x0A]))
        try handle.close()
        let (_, recovery) = try AuditLog.open(runDir: f.runDir, signingKey: f.key)
        XCTAssertEqual(recovery.droppedBytes, 4)
    }

    func testDamageInTheMiddleIsNeverRepaired() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try start(log)
        try log.append(AuditRecord(type: .settle, data: ["n": .int(1)]))
        try log.append(AuditRecord(type: .settle, data: ["n": .int(2)]))
        var lines = try f.lines()
        lines[1] = "garbage"
        try f.writeLines(lines)
        let before = try Data(contentsOf: f.logURL)
        XCTAssertThrowsError(try AuditLog.open(runDir: f.runDir, signingKey: f.key)) { error in
            XCTAssertEqual(error as? AuditError, .damaged(line: 2, seq: nil, problem: "not JSON: malformed JSON at byte 0: unexpected byte 0x67"))
        }
        XCTAssertEqual(try Data(contentsOf: f.logURL), before, "open must not modify a damaged log")
    }

    func testOpenRequiresTheSameKeyAndAnUnfinishedLog() throws {
        let f = try AuditFixture()
        let log = try AuditLog.create(runDir: f.runDir, signingKey: f.key)
        try start(log)
        XCTAssertThrowsError(try AuditLog.open(runDir: f.runDir, signingKey: AuditSigningKey()))
        try log.close()
        XCTAssertThrowsError(try AuditLog.open(runDir: f.runDir, signingKey: f.key))
    }
}
