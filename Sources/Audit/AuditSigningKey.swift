// The Ed25519 key that signs checkpoints. It lives outside the run directory (default
// ~/.config/understudy/audit-key, mode 0600): anyone who can rewrite the run directory could otherwise
// re-sign a rewritten log. File format: the 32-byte raw private key in base64 and a newline.

import Crypto
import Foundation

public struct AuditSigningKey {
    let privateKey: Curve25519.Signing.PrivateKey
    /// Where the key was loaded from, if from a file; `AuditLog.create` refuses a key inside the run directory.
    public let path: URL?

    public init(privateKey: Curve25519.Signing.PrivateKey = .init(), path: URL? = nil) {
        self.privateKey = privateKey
        self.path = path
    }

    /// Base64 of the 32-byte raw public key: the form written into session_start and accepted by `--key`.
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    func sign(_ message: [UInt8]) throws -> Data { try privateKey.signature(for: message) }

    public static var defaultPath: URL {
        let env = ProcessInfo.processInfo.environment
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: env["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return config.appendingPathComponent("understudy").appendingPathComponent("audit-key")
    }

    /// Loads the key at `path`, or creates one there (directory 0700, file 0600, created exclusively).
    public static func loadOrCreate(at path: URL = defaultPath) throws -> AuditSigningKey {
        if FileManager.default.fileExists(atPath: path.path) { return try load(from: path) }
        let dir = path.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw AuditError.keyFile(path: path.path, problem: "cannot create \(dir.path): \(error)")
        }
        let key = Curve25519.Signing.PrivateKey()
        let text = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        let fd = Foundation.open(path.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw AuditError.io(operation: "create key", path: path.path, errno: errno) }
        defer { close(fd) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            let failure = errno
            // A half-written key file would make every later start fail: remove it.
            unlink(path.path)
            throw AuditError.io(operation: "write key", path: path.path, errno: failure)
        }
        return AuditSigningKey(privateKey: key, path: path)
    }

    public static func load(from path: URL) throws -> AuditSigningKey {
        var info = stat()
        guard stat(path.path, &info) == 0 else { throw AuditError.io(operation: "stat", path: path.path, errno: errno) }
        guard info.st_mode & 0o077 == 0 else {
            throw AuditError.keyFile(path: path.path, problem: "readable by group or others (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path.path),
              let text = String(data: data, encoding: .utf8),
              let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw AuditError.keyFile(path: path.path, problem: "not a base64 Ed25519 private key") }
        return AuditSigningKey(privateKey: key, path: path)
    }
}

/// A public key given on the command line or in a file: base64 of the 32 raw bytes.
public enum AuditPublicKey {
    public static func parse(_ text: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// The byte string a checkpoint signs: domain tag, the covered seq and the head hash.
    static func checkpointMessage(coversSeq: Int64, head: String) -> [UInt8] {
        Array("understudy-audit-checkpoint-v1\n\(coversSeq)\n\(head)".utf8)
    }
}
