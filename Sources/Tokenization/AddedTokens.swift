// Stage 0 of the pipeline: added tokens (tokenizer.json `added_tokens`), matched as whole strings before
// anything else. Port of tokenizers/src/tokenizer/added_vocabulary.rs: tokens with `normalized: false`
// are found in the raw text, those with `normalized: true` in the normalized pieces between them; the
// match is leftmost-longest (aho-corasick MatchKind::LeftmostLongest); `lstrip`/`rstrip` let a match
// swallow the whitespace before/after it. Qwen's 26 added tokens all have normalized, lstrip, rstrip and
// single_word false; single_word is not implemented and is rejected when set.

import StrictJSON

public struct AddedToken: Equatable, Sendable {
    public let id: Int
    public let content: String
    /// Special tokens are the ones `decode(_:skipSpecialTokens: true)` leaves out.
    public let special: Bool
    public let lstrip: Bool
    public let rstrip: Bool
    public let normalized: Bool
}

struct AddedTokenMatcher: Sendable {
    /// Tokens by their first UTF-8 byte, longest first.
    private let candidates: [[(bytes: [UInt8], token: Int)]]
    let tokens: [AddedToken]

    init(tokens: [AddedToken]) {
        self.tokens = tokens
        var buckets = [[(bytes: [UInt8], token: Int)]](repeating: [], count: 256)
        for (i, t) in tokens.enumerated() {
            let bytes = Array(t.content.utf8)
            guard let first = bytes.first else { continue }
            buckets[Int(first)].append((bytes, i))
        }
        for b in 0..<256 {
            // Longest first; the earlier-declared token wins a tie of equal strings.
            buckets[b].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.token < $1.token }
        }
        candidates = buckets
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// A piece of text: either an added token (`token` set) or bytes still to normalize and tokenize.
    struct Piece {
        var range: Range<Int>
        var token: Int?
    }

    /// Splits `bytes[range]` into added-token matches and the text between them.
    func split(_ bytes: [UInt8], _ range: Range<Int>) -> [Piece] {
        var pieces: [Piece] = []
        var textStart = range.lowerBound
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let bucket = candidates[Int(bytes[i])]
            var matched: (length: Int, token: Int)?
            if !bucket.isEmpty {
                for candidate in bucket where candidate.bytes.count <= end - i {
                    var equal = true
                    for k in 1..<candidate.bytes.count where bytes[i + k] != candidate.bytes[k] {
                        equal = false
                        break
                    }
                    if equal {
                        matched = (candidate.bytes.count, candidate.token)
                        break
                    }
                }
            }
            guard let (length, index) = matched else {
                i += 1
                continue
            }
            var matchStart = i
            var matchEnd = i + length
            let token = tokens[index]
            if token.lstrip {
                while matchStart > textStart, let w = whitespaceBefore(bytes, matchStart, lowerBound: textStart) {
                    matchStart -= w
                }
            }
            if token.rstrip {
                while matchEnd < end, let w = whitespaceAfter(bytes, matchEnd, upperBound: end) { matchEnd += w }
            }
            if matchStart > textStart { pieces.append(Piece(range: textStart..<matchStart, token: nil)) }
            pieces.append(Piece(range: matchStart..<matchEnd, token: token.id))
            textStart = matchEnd
            i = matchEnd
        }
        if textStart < end { pieces.append(Piece(range: textStart..<end, token: nil)) }
        return pieces
    }

    /// Byte length of the whitespace scalar ending at `position`, if there is one.
    private func whitespaceBefore(_ bytes: [UInt8], _ position: Int, lowerBound: Int) -> Int? {
        var start = position - 1
        while start > lowerBound && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return isWhitespace(bytes[start..<position]) ? position - start : nil
    }

    private func whitespaceAfter(_ bytes: [UInt8], _ position: Int, upperBound: Int) -> Int? {
        var end = position + 1
        while end < upperBound && bytes[end] & 0xC0 == 0x80 { end += 1 }
        return isWhitespace(bytes[position..<end]) ? end - position : nil
    }

    private func isWhitespace(_ scalarBytes: ArraySlice<UInt8>) -> Bool {
        let s = String(decoding: scalarBytes, as: UTF8.self)
        return s.unicodeScalars.count == 1 && s.unicodeScalars.first?.properties.isWhitespace == true
    }
}

extension AddedToken {
    static func parseList(_ json: JSONValue?) throws -> [AddedToken] {
        guard let json, !json.isNull else { return [] }
        guard let list = json.arrayValue else { throw TokenizerError.wrongType(path: "added_tokens", expected: "an array") }
        var result: [AddedToken] = []
        for (index, entry) in list.enumerated() {
            guard case .object = entry else { throw TokenizerError.invalidAddedToken(index: index, reason: "not an object") }
            guard let id = entry["id"]?.intValue else { throw TokenizerError.invalidAddedToken(index: index, reason: "no integer id") }
            guard id >= 0 && id < BPEModel.maximumID else {
                throw TokenizerError.invalidAddedToken(index: index, reason: "id \(id) out of range")
            }
            guard let content = entry["content"]?.stringValue, !content.isEmpty else {
                throw TokenizerError.invalidAddedToken(index: index, reason: "no content")
            }
            func flag(_ name: String, default value: Bool) throws -> Bool {
                guard let v = entry[name], !v.isNull else { return value }
                guard let b = v.boolValue else {
                    throw TokenizerError.invalidAddedToken(index: index, reason: "\(name) is not a boolean")
                }
                return b
            }
            if try flag("single_word", default: false) {
                throw TokenizerError.unsupported(path: "added_tokens[\(index)].single_word", value: "true")
            }
            let special = try flag("special", default: false)
            result.append(AddedToken(id: id, content: content, special: special,
                                     lstrip: try flag("lstrip", default: false),
                                     rstrip: try flag("rstrip", default: false),
                                     // added_vocabulary.rs: `normalized` defaults to !special
                                     normalized: try flag("normalized", default: !special)))
        }
        return result
    }
}
