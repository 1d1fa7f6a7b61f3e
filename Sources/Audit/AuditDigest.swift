// SHA-256 in lower-case hex: record hashes, blob names and action digests.

import Crypto
import Foundation

public enum AuditDigest {
    public static func hex<D: DataProtocol>(_ data: D) -> String {
        SHA256.hash(data: data).map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
    }

    public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

    /// `prev` of the first record: no predecessor.
    public static let genesis = String(repeating: "0", count: 64)

    static func isHex64(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
