// The digest that binds a decision, an approval and an execution to one action: SHA-256 (lower-case
// hex) of the action's canonical JSON in screen pixels (`Action.arguments.serialized`: members in
// schema order, no whitespace). Audit uses the same hash function for blobs and records.

import Actions
import Crypto

public enum ActionDigest {
    public static func canonicalJSON(_ action: Action) -> String { action.arguments.serialized }

    public static func digest(_ action: Action) -> String { hex(Array(canonicalJSON(action).utf8)) }

    public static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
    }
}
