// Stage 1 of the pipeline: the normalizer (tokenizer.json `normalizer`). Qwen uses `{"type": "NFC"}`.
// Port of tokenizers/src/normalizers/unicode.rs (NFC), applied to each piece of text left between
// added tokens, as tokenizers' AddedVocabulary does: a token like `<|im_start|>` is matched on the raw
// text first, so `<|im_start|>\u{338}` keeps its `>` instead of becoming `≯`.

import Foundation

public enum Normalizer: Equatable, Sendable {
    case none
    case nfc

    init(json: JSONValue?) throws {
        guard let json, !json.isNull else {
            self = .none
            return
        }
        guard let type = json["type"]?.stringValue else { throw TokenizerError.missingField(path: "normalizer.type") }
        switch type {
        case "NFC": self = .nfc
        default: throw TokenizerError.unsupported(path: "normalizer.type", value: type)
        }
    }

    /// The normalized UTF-8 bytes of `bytes` (which must be valid UTF-8).
    func normalize(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        switch self {
        case .none:
            return Array(bytes)
        case .nfc:
            // Every scalar below U+0300 is NFC-stable and no composition pairs it with a following scalar
            // below U+0300, so text whose UTF-8 bytes are all below 0xCC (the lead byte of U+0300) is
            // already NFC. This keeps ASCII and Latin-1 text off Foundation's slower path.
            if !bytes.contains(where: { $0 >= 0xCC }) { return Array(bytes) }
            let text = String(decoding: bytes, as: UTF8.self)
            return Array(text.precomposedStringWithCanonicalMapping.utf8)
        }
    }
}
