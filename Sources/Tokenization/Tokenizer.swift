// The tokenizer facade: tokenizer.json in, the pipeline of tokenizers/src/tokenizer/mod.rs out:
//
//   text ─► added tokens (raw) ─► normalizer (NFC) ─► added tokens (normalized) ─► pre-tokenizer (Qwen2 split)
//        ─► BPE model ─► ids                     ids ─► decoder (ByteLevel) ─► text
//
// No post-processor runs: Qwen adds no BOS/EOS (the reference is called with add_special_tokens=False,
// and tokenizer.json's ByteLevel post-processor with trim_offsets false changes only offsets).

import Foundation
import StrictJSON

/// What the rest of Understudy needs from a tokenizer; tests and other targets can substitute their own.
public protocol TextTokenizer: Sendable {
    /// The ids of `text`; added tokens written in the text (`<|im_start|>`, `<tool_call>`) become their ids.
    func encode(_ text: String) -> [Int]
    /// The text of `ids`; bytes that are not valid UTF-8 become U+FFFD. Unknown ids are skipped.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
    /// The id of a vocabulary or added token, spelled as in tokenizer.json.
    func id(forToken token: String) -> Int?
    /// The spelling of an id as in tokenizer.json (byte-level alphabet for vocabulary tokens).
    func token(forID id: Int) -> String?
}

extension TextTokenizer {
    public func decode(_ ids: [Int]) -> String {
        decode(ids, skipSpecialTokens: false)
    }
}

/// Byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json (Qwen2/Qwen3/Qwen3-VL layout).
public struct Tokenizer: TextTokenizer {
    public let addedTokens: [AddedToken]
    let normalizer: Normalizer
    let preTokenizer: PreTokenizer
    var model: BPEModel
    let decoder: Decoder
    /// Added tokens matched in the raw text, and those matched after normalization.
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedTokenIDs: [String: Int]

    /// Loads `tokenizer.json` from a folder (the only file needed).
    public init(directory: URL) throws {
        try self.init(contentsOf: directory.appendingPathComponent("tokenizer.json"))
    }

    public init(contentsOf file: URL) throws {
        guard FileManager.default.fileExists(atPath: file.path) else { throw TokenizerError.fileNotFound(path: file.path) }
        let data: Data
        do {
            data = try Data(contentsOf: file, options: .mappedIfSafe)
        } catch {
            throw TokenizerError.unreadableFile(path: file.path, reason: "\(error)")
        }
        try self.init(json: data)
    }

    /// Parses the contents of a tokenizer.json.
    public init(json data: Data) throws {
        let root: JSONValue
        // tokenizer.json nests 6 deep, tool schemas rarely 20; levels 0…127 are accepted.
        do { root = try JSONValue.parse(data, maxDepth: 127) } catch let error as JSONParseError {
            throw TokenizerError.invalidJSON(offset: error.offset, reason: error.message)
        }
        guard case .object = root else { throw TokenizerError.wrongType(path: "(top level)", expected: "an object") }
        addedTokens = try AddedToken.parseList(root["added_tokens"])
        normalizer = try Normalizer(json: root["normalizer"])
        preTokenizer = try PreTokenizer(json: root["pre_tokenizer"])
        model = try BPEModel(json: root["model"])
        decoder = try Decoder(json: root["decoder"], model: model, addedTokens: addedTokens)
        rawMatcher = AddedTokenMatcher(tokens: addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(tokens: addedTokens.filter { $0.normalized })
        var ids: [String: Int] = [:]
        for t in addedTokens { ids[t.content] = t.id }
        addedTokenIDs = ids
    }

    /// Number of ids with a token: the model vocabulary plus the added tokens (151,669 for Qwen).
    public var vocabularySize: Int {
        max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1)
    }

    public func encode(_ text: String) -> [Int] {
        var output: [Int] = []
        var state = EncodingState()
        let bytes = Array(text.utf8)
        output.reserveCapacity(bytes.count / 3 + 1)
        for piece in rawMatcher.split(bytes, 0..<bytes.count) {
            if let id = piece.token {
                output.append(id)
                continue
            }
            let normalized = normalizer.normalize(bytes[piece.range])
            if normalizedMatcher.isEmpty {
                encodeText(normalized, state: &state, into: &output)
                continue
            }
            for inner in normalizedMatcher.split(normalized, 0..<normalized.count) {
                if let id = inner.token {
                    output.append(id)
                } else {
                    encodeText(Array(normalized[inner.range]), state: &state, into: &output)
                }
            }
        }
        return output
    }

    /// Pre-tokenizes normalized bytes and runs BPE on each pre-token, caching words within one call.
    private func encodeText(_ bytes: [UInt8], state: inout EncodingState, into output: inout [Int]) {
        let byteIDs = model.byteIDs
        preTokenizer.split(bytes) { range in
            if range.count == 1, byteIDs[Int(bytes[range.lowerBound])] >= 0 {
                output.append(Int(byteIDs[Int(bytes[range.lowerBound])]))
                return
            }
            let word = bytes[range]
            if word.count <= ShortWord.capacity {
                let key = ShortWord(word)
                if let ids = state.shortCache[key] {
                    output.append(contentsOf: ids)
                    return
                }
                let start = output.count
                model.tokenize(word, scratch: &state.scratch, into: &output)
                // Bounded like tokenizers' BPE cache, so a long varied text cannot grow it without limit.
                if state.shortCache.count >= EncodingState.cacheCapacity { state.shortCache.removeAll(keepingCapacity: true) }
                state.shortCache[key] = Array(output[start...])
                return
            }
            let key = Array(word)
            if let ids = state.longCache[key] {
                output.append(contentsOf: ids)
                return
            }
            let start = output.count
            model.tokenize(word, scratch: &state.scratch, into: &output)
            if state.longCache.count >= EncodingState.cacheCapacity { state.longCache.removeAll(keepingCapacity: true) }
            state.longCache[key] = Array(output[start...])
        }
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        decoder.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    public func id(forToken token: String) -> Int? {
        addedTokenIDs[token] ?? model.tokenToID[token]
    }

    public func token(forID id: Int) -> String? {
        if let added = addedTokens.first(where: { $0.id == id }) { return added.content }
        guard id >= 0 && id < model.tokens.count else { return nil }
        return model.tokens[id]
    }

    /// The raw bytes an id stands for (nil for an unknown id). For streaming output: a token may end in
    /// the middle of a UTF-8 sequence, so join bytes until they decode.
    public func bytes(forID id: Int) -> [UInt8]? {
        decoder.bytes(for: id)
    }

    /// Whether `id` is an added token flagged special (left out by `decode(_:skipSpecialTokens: true)`).
    public func isSpecial(_ id: Int) -> Bool {
        decoder.isSpecial(id)
    }

    /// Test hook: words longer than `threshold` bytes use the priority-queue merge.
    func withHeapThreshold(_ threshold: Int) -> Tokenizer {
        var copy = self
        copy.model.heapThreshold = threshold
        return copy
    }
}

/// Per-call working memory of `encode`, so a shared `Tokenizer` needs no locks.
private struct EncodingState {
    static let cacheCapacity = 10_000
    /// Words of up to 16 bytes (nearly all) are cached under a key that needs no allocation.
    var shortCache: [ShortWord: [Int]] = [:]
    var longCache: [[UInt8]: [Int]] = [:]
    var scratch = BPEScratch()
}

/// Up to 16 bytes packed into two words, with the length.
private struct ShortWord: Hashable {
    static let capacity = 16
    var low: UInt64 = 0
    var high: UInt64 = 0
    var count: Int

    init(_ bytes: ArraySlice<UInt8>) {
        count = bytes.count
        var shift: UInt64 = 0
        for (k, b) in bytes.enumerated() {
            if k < 8 {
                low |= UInt64(b) << shift
            } else {
                high |= UInt64(b) << (shift - 64)
            }
            shift += 8
        }
    }
}
