// Reopening a log after a crash. Only the final line may be torn (bytes with no newline, or a last line
// that does not frame); it is cut off and a `recovery` record says exactly what was dropped. Damage
// anywhere earlier is never repaired: `open` throws `AuditError.damaged` and `verify` names the line.

import Foundation
import StrictJSON

public struct AuditRecovery: Equatable {
    /// Bytes cut from the end of the file (0 when the log just stopped without session_end).
    public let droppedBytes: Int
    public let droppedSHA256: String?
    public let lastGoodSeq: Int64
    public let recoverySeq: Int64
}

extension AuditLog {
    /// Opens an unfinished log for further appends, recovering a torn tail. Appends a `recovery` record
    /// (and a checkpoint) describing what was found. `signingKey` must be the key that started the log.
    public static func open(runDir: URL, signingKey: AuditSigningKey, checkpointInterval: Int = 64,
                            now: @escaping () -> Date = Date.init) throws -> (AuditLog, AuditRecovery) {
        let runDir = runDir.standardizedFileURL
        let path = runDir.appendingPathComponent(fileName).path
        guard let contents = FileManager.default.contents(atPath: path) else { throw AuditError.logMissing(path: path) }
        let file = [UInt8](contents)
        let (lines, tail) = AuditFraming.split(file)
        var cutOffset: Int? = tail.isEmpty ? nil : tail.startIndex

        var records: [FramedRecord] = []
        for (index, line) in lines.enumerated() {
            switch AuditFraming.frame(line) {
            case .success(let record):
                let expectedPrev = records.last?.hash ?? AuditDigest.genesis
                guard record.seq == Int64(records.count), record.prev == expectedPrev else {
                    throw AuditError.damaged(line: line.number, seq: record.seq, problem: "chain broken (seq or prev)")
                }
                records.append(record)
            case .failure(let framing):
                let problem = framing.message
                // Only the final line may be torn; anything before it is damage.
                guard index == lines.count - 1 else {
                    throw AuditError.damaged(line: line.number, seq: nil, problem: problem)
                }
                cutOffset = line.offset
            }
        }
        guard let first = records.first, first.type == .sessionStart else {
            throw AuditError.damaged(line: 1, seq: nil, problem: "no complete session_start record")
        }
        let found = first.data["public_key"]?.stringValue ?? ""
        guard found == signingKey.publicKeyBase64 else {
            throw AuditError.keyMismatch(expected: found, found: signingKey.publicKeyBase64)
        }
        if records.contains(where: { $0.type == .sessionEnd }) {
            throw AuditError.logUnusable(reason: "session already ended")
        }

        var dropped: [UInt8] = []
        if let cut = cutOffset {
            dropped = Array(file[cut...])
            guard truncate(path, off_t(cut)) == 0 else { throw AuditError.io(operation: "truncate", path: path, errno: errno) }
        }
        let storage = try AuditFileStorage(path: path)
        try storage.sync()
        let last = records[records.count - 1]
        let log = AuditLog(runDirectory: runDir, storage: storage, key: signingKey, nextSeq: last.seq + 1,
                           head: last.hash, started: true, checkpointInterval: checkpointInterval, now: now)
        var data: [String: JSONValue] = [
            "dropped_bytes": .int(Int64(dropped.count)), "last_good_seq": .int(last.seq),
            "reason": .string(dropped.isEmpty ? "reopened after an unclean stop; nothing torn"
                                              : "torn final record cut off"),
        ]
        let droppedHash = dropped.isEmpty ? nil : AuditDigest.hex(dropped)
        if let droppedHash {
            data["dropped_sha256"] = .string(droppedHash)
            // A short, escaped preview so a reader can see what was lost without the bytes being trusted.
            data["dropped_preview"] = .string(String(decoding: dropped.prefix(120), as: UTF8.self))
        }
        let seq = try log.writeInternal(AuditRecord(type: .recovery, data: data))
        try log.checkpoint()
        return (log, AuditRecovery(droppedBytes: dropped.count, droppedSHA256: droppedHash, lastGoodSeq: last.seq,
                                   recoverySeq: seq))
    }
}
