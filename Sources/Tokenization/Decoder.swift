// Stage 4 of the pipeline: the decoder (tokenizer.json `decoder`, type "ByteLevel").
// Port of tokenizers/src/pre_tokenizers/byte_level.rs `decode_chain` and tokenizer/mod.rs `decode`:
// ids become vocabulary strings (unknown ids are skipped, special added tokens too when asked), every
// string becomes the bytes it spells, all bytes are joined, and the result is read as UTF-8 with
// `String::from_utf8_lossy`: each maximal invalid subsequence becomes one U+FFFD. Swift's
// `String(decoding:as:)` follows the same Unicode "maximal subpart" practice.

import StrictJSON

struct Decoder: Sendable {
    /// Raw bytes of each id; nil where no token has that id.
    private let bytesByID: [[UInt8]?]
    private let specialByID: [Bool]

    init(json: JSONValue?, model: BPEModel, addedTokens: [AddedToken]) throws {
        guard let json, !json.isNull else { throw TokenizerError.missingField(path: "decoder") }
        guard let type = json["type"]?.stringValue else { throw TokenizerError.missingField(path: "decoder.type") }
        guard type == "ByteLevel" else { throw TokenizerError.unsupported(path: "decoder.type", value: type) }
        let count = max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1)
        var bytes = [[UInt8]?](repeating: nil, count: count)
        var special = [Bool](repeating: false, count: count)
        for (id, token) in model.tokens.enumerated() {
            if let token { bytes[id] = ByteLevel.decode(token) }
        }
        // An added token's id wins over the model's for the same id, as id_to_token looks in the added
        // vocabulary first.
        for token in addedTokens {
            bytes[token.id] = ByteLevel.decode(token.content)
            special[token.id] = token.special
        }
        bytesByID = bytes
        specialByID = special
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < bytesByID.count {
            if skipSpecialTokens && specialByID[id] { continue }
            if let b = bytesByID[id] { bytes.append(contentsOf: b) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes one id stands for (nil for an unknown id).
    func bytes(for id: Int) -> [UInt8]? {
        guard id >= 0 && id < bytesByID.count else { return nil }
        return bytesByID[id]
    }

    func isSpecial(_ id: Int) -> Bool {
        id >= 0 && id < specialByID.count && specialByID[id]
    }
}
