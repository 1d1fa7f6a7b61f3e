// SHA-256 hex digests for home manifests and definition hashes, through swift-crypto (the same
// implementation the audit log uses), so files are hashed at memory speed in every build.

import Crypto
import Foundation

enum FileDigest {
    static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes a file in 1 MiB pieces.
    static func hex(fileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SandboxError.homeFailed(path: path, reason: "cannot open for hashing")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw SandboxError.homeFailed(path: path, reason: error.localizedDescription)
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
