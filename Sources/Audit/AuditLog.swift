// The append-only, hash-chained audit log of one run directory.
//
//   RUN_DIR/audit.jsonl            one canonical JSON record per line (README.md has the schema)
//   RUN_DIR/blobs/sha256/<hex>     screenshots, prompts, responses, by content hash
//
// Failure model: the first write or fsync error is final. The log remembers it and refuses every later
// append, so the agent cannot carry on with an audit trail that has a hole in it.
// Appends are serialized by a lock, so seq and prev stay consistent if several tasks log.

import Foundation
import StrictJSON

public final class AuditLog {
    public static let fileName = "audit.jsonl"

    public let runDirectory: URL
    public var logPath: String { runDirectory.appendingPathComponent(AuditLog.fileName).path }
    public var blobDirectory: URL { Self.blobDirectory(of: runDirectory) }
    /// Where a run directory keeps its blobs, each named by the hex SHA-256 of its bytes.
    public static func blobDirectory(of runDirectory: URL) -> URL {
        runDirectory.appendingPathComponent("blobs").appendingPathComponent("sha256")
    }

    /// A checkpoint is written after this many records, and always at `close`.
    public var checkpointInterval: Int

    public private(set) var nextSeq: Int64
    /// Hash of the last record written.
    public private(set) var head: String

    private let storage: AuditStorage
    private let key: AuditSigningKey
    private let now: () -> Date
    private var recordsSinceCheckpoint = 0
    private var started: Bool
    private var ended: Bool
    private var refusal: String?
    /// Recursive: an append may write a checkpoint, which appends.
    private let lock = NSRecursiveLock()

    init(runDirectory: URL, storage: AuditStorage, key: AuditSigningKey, nextSeq: Int64, head: String,
         started: Bool, checkpointInterval: Int, now: @escaping () -> Date) {
        self.runDirectory = runDirectory
        self.storage = storage
        self.key = key
        self.nextSeq = nextSeq
        self.head = head
        self.started = started
        self.ended = false
        self.checkpointInterval = max(1, checkpointInterval)
        self.now = now
    }

    /// Starts a new log in `runDir` (created if missing; it must not already hold a log).
    /// The first record appended must be `session_start`; the log adds the public key to it.
    public static func create(runDir: URL, signingKey: AuditSigningKey, checkpointInterval: Int = 64,
                              storage: AuditStorage? = nil, now: @escaping () -> Date = Date.init) throws -> AuditLog {
        let runDir = runDir.standardizedFileURL
        if let keyPath = signingKey.path, isInside(keyPath, runDir) {
            throw AuditError.keyInsideRunDirectory(key: keyPath.path, runDirectory: runDir.path)
        }
        let fm = FileManager.default
        let logPath = runDir.appendingPathComponent(fileName).path
        guard !fm.fileExists(atPath: logPath) else { throw AuditError.runDirectoryExists(path: logPath) }
        do {
            try fm.createDirectory(at: blobDirectory(of: runDir),
                                   withIntermediateDirectories: true)
        } catch {
            throw AuditError.io(operation: "create directory", path: runDir.path, errno: errno)
        }
        let store = try storage ?? AuditFileStorage(path: logPath)
        if storage == nil { try AuditFiles.syncDirectory(runDir.path) }
        return AuditLog(runDirectory: runDir, storage: store, key: signingKey, nextSeq: 0, head: AuditDigest.genesis,
                        started: false, checkpointInterval: checkpointInterval, now: now)
    }

    static func isInside(_ path: URL, _ dir: URL) -> Bool {
        let p = path.standardizedFileURL.resolvingSymlinksInPath().path
        let d = dir.standardizedFileURL.resolvingSymlinksInPath().path
        return p == d || p.hasPrefix(d.hasSuffix("/") ? d : d + "/")
    }

    /// Appends `record`, framed with seq, prev and time. Durable types (decision, approval, execution,
    /// session start/end) are fsynced before this returns. Returns the record's seq.
    @discardableResult
    public func append(_ record: AuditRecord) throws -> Int64 {
        switch record.type {
        case .checkpoint, .recovery: throw AuditError.reservedType(record.type.rawValue)
        default: break
        }
        return try writeInternal(record)
    }

    func writeInternal(_ record: AuditRecord) throws -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw AuditError.logUnusable(reason: refusal) }
        if !started && record.type != .sessionStart {
            throw AuditError.firstRecordMustBeSessionStart(type: record.type.rawValue)
        }
        if ended && record.type != .checkpoint { throw AuditError.recordAfterSessionEnd(type: record.type.rawValue) }

        var data = record.data
        if record.type == .sessionStart {
            data["public_key"] = .string(key.publicKeyBase64)
            data["signature_scheme"] = .string("ed25519")
        }
        let framed: JSONValue = .object([
            "data": .object(data), "prev": .string(head), "seq": .int(nextSeq),
            "time": .string(AuditLog.timestamp(now())), "type": .string(record.type.rawValue),
        ])
        let line = Array(try AuditJSON.encode(framed).utf8)
        do {
            try storage.append(line + [0x0A])
            if record.type.isDurable { try storage.sync() }
        } catch {
            refusal = "earlier write failed: \(error)"
            throw error
        }
        let seq = nextSeq
        head = AuditDigest.hex(line)
        nextSeq += 1
        started = true
        if record.type == .sessionEnd { ended = true }
        if record.type == .checkpoint {
            recordsSinceCheckpoint = 0
        } else {
            recordsSinceCheckpoint += 1
            if recordsSinceCheckpoint >= checkpointInterval { try checkpoint() }
        }
        return seq
    }

    /// Signs the current head: Ed25519 over (covered seq, head hash). Written as a record in the chain.
    public func checkpoint() throws {
        lock.lock()
        defer { lock.unlock() }
        guard nextSeq > 0 else { return }
        let covers = nextSeq - 1
        let signature: Data
        do { signature = try key.sign(AuditPublicKey.checkpointMessage(coversSeq: covers, head: head)) } catch {
            refusal = "signing failed: \(error)"
            throw AuditError.logUnusable(reason: "signing failed: \(error)")
        }
        _ = try writeInternal(AuditRecord(type: .checkpoint, data: [
            "covers_seq": .int(covers), "head": .string(head), "signature": .string(signature.base64EncodedString()),
        ]))
    }

    /// Ends the session: session_end (unless already written) and a final checkpoint. Later appends fail.
    public func close(status: String = "finished", steps: Int = 0) throws {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw AuditError.logUnusable(reason: refusal) }
        if !ended { _ = try writeInternal(.sessionEnd(status: status, steps: steps)) }
        if recordsSinceCheckpoint > 0 { try checkpoint() }
        refusal = "closed"
    }

    /// Stores `data` under its SHA-256 and returns the hex name. Written to a temporary file, fsynced and
    /// renamed, so a blob is either whole or absent.
    public func putBlob(_ data: Data) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw AuditError.logUnusable(reason: refusal) }
        let hash = AuditDigest.hex(data)
        let path = blobDirectory.appendingPathComponent(hash).path
        if FileManager.default.fileExists(atPath: path) { return hash }
        do {
            try AuditFiles.writeFileDurably(data, to: path)
            try AuditFiles.syncDirectory(blobDirectory.path)
        } catch {
            refusal = "blob write failed: \(error)"
            throw error
        }
        return hash
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
