// A cheap fingerprint of a model directory for the audit trail: SHA-256 over the configuration and
// tokenizer files and every safetensors file's header (names, dtypes, shapes, offsets) and size.
//
// It identifies the checkpoint's layout and settings, not its weight values: two checkpoints that differ
// only in tensor contents hash alike. Hashing every weight byte (GBs) on each start is what it avoids.

import Crypto
import Foundation

public enum ModelFingerprint {
    /// Files hashed whole when present, in this order.
    static let wholeFiles = ["config.json", "generation_config.json", "preprocessor_config.json",
                             "tokenizer.json", "model.safetensors.index.json"]
    /// The largest safetensors header accepted (the format's own limit is 100 MB).
    static let maxHeaderBytes: UInt64 = 100_000_000

    /// Hex SHA-256. Each part is framed as name, byte count, bytes, so parts cannot run into each other.
    public static func sha256(directory: String) throws -> String {
        var hasher = SHA256()
        func add(_ name: String, _ bytes: Data) {
            hasher.update(data: Data("\(name)\n\(bytes.count)\n".utf8))
            hasher.update(data: bytes)
        }
        let fm = FileManager.default
        for name in wholeFiles {
            let path = (directory as NSString).appendingPathComponent(name)
            guard fm.fileExists(atPath: path) else { continue }
            guard let data = fm.contents(atPath: path) else {
                throw AgentError.modelUnusable(path: path, reason: "cannot read it for the fingerprint")
            }
            add(name, data)
        }
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: directory) } catch {
            throw AgentError.modelUnusable(path: directory, reason: "cannot list it: \(error.localizedDescription)")
        }
        let shards = entries.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !shards.isEmpty else { throw AgentError.modelUnusable(path: directory, reason: "no *.safetensors file") }
        for name in shards {
            let path = (directory as NSString).appendingPathComponent(name)
            let header = try safetensorsHeader(path)
            add(name + " header", header.bytes)
            add(name + " size", Data(String(header.fileSize).utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The 8-byte little-endian length and the JSON header that follows it.
    static func safetensorsHeader(_ path: String) throws -> (bytes: Data, fileSize: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AgentError.modelUnusable(path: path, reason: "cannot open it")
        }
        defer { try? handle.close() }
        do {
            let fileSize = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            let prefix = try handle.read(upToCount: 8) ?? Data()
            guard prefix.count == 8 else { throw AgentError.modelUnusable(path: path, reason: "shorter than a safetensors header") }
            let length = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= maxHeaderBytes, length <= fileSize - 8 else {
                throw AgentError.modelUnusable(path: path, reason: "safetensors header length \(length) does not fit the file (\(fileSize) bytes)")
            }
            let header = try handle.read(upToCount: Int(length)) ?? Data()
            guard header.count == Int(length) else { throw AgentError.modelUnusable(path: path, reason: "truncated safetensors header") }
            return (prefix + header, fileSize)
        } catch let e as AgentError { throw e } catch {
            throw AgentError.modelUnusable(path: path, reason: "cannot read it: \(error.localizedDescription)")
        }
    }
}
