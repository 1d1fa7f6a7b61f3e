// tokenizer.json is untrusted: every malformed file must end in a typed TokenizerError, never a trap.
// These use a tiny inline tokenizer (no files needed).

import Foundation
import XCTest
@testable import Tokenization
import StrictJSON

final class MalformedTokenizerTests: XCTestCase {
    /// A minimal valid byte-level BPE tokenizer.json: the 256 byte tokens, merges for "hello", one added token.
    static func tinyJSON(merges: String = #"[["h","e"],["l","l"],["he","ll"],["hell","o"]]"#,
                         vocabExtra: String = #","he":256,"ll":257,"hell":258,"hello":259"#,
                         model: String? = nil, addedTokens: String? = nil, preTokenizer: String? = nil,
                         normalizer: String = #"{"type":"NFC"}"#, decoder: String = #"{"type":"ByteLevel"}"#) -> String {
        var vocab = ""
        for (i, c) in ByteLevel.characters.enumerated() {
            vocab += (i == 0 ? "" : ",") + JSONValue.string(String(c)).pythonJSON + ":\(i)"
        }
        let pattern = JSONValue.string(PreTokenizer.qwen2Pattern).pythonJSON
        let pre = preTokenizer ?? """
        {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":\(pattern)},"behavior":"Isolated","invert":false},\
        {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}
        """
        let modelJSON = model ?? #"{"type":"BPE","dropout":null,"unk_token":null,"vocab":{"# + vocab + vocabExtra + #"},"merges":"# + merges + "}"
        let added = addedTokens ?? #"[{"id":260,"content":"<|end|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}]"#
        return #"{"version":"1.0","added_tokens":"# + added + #","normalizer":"# + normalizer
            + #","pre_tokenizer":"# + pre + #","decoder":"# + decoder + #","model":"# + modelJSON + "}"
    }

    func load(_ json: String) throws -> Tokenizer {
        try Tokenizer(json: Data(json.utf8))
    }

    func assertError(_ json: String, _ check: (TokenizerError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try load(json)
            XCTFail("loaded a malformed tokenizer.json", file: file, line: line)
        } catch let error as TokenizerError {
            XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty)
        } catch {
            XCTFail("untyped error \(error)", file: file, line: line)
        }
    }

    func testTinyTokenizerWorks() throws {
        let t = try load(Self.tinyJSON())
        XCTAssertEqual(t.encode("hello"), [259])
        XCTAssertEqual(t.encode("hello<|end|> hello"), [259, 260, 220, 259].map { $0 == 220 ? Int(ByteLevel.bytesByScalar[0x120]) : $0 })
        XCTAssertEqual(t.decode(t.encode("héllo <|end|>!")), "héllo <|end|>!")
        XCTAssertEqual(t.decode(t.encode("héllo <|end|>!"), skipSpecialTokens: true), "héllo !")
    }

    func testLegacyStringMerges() throws {
        let t = try load(Self.tinyJSON(merges: #"["h e","l l","he ll","hell o"]"#))
        XCTAssertEqual(t.encode("hello"), [259])
    }

    func testTruncatedJSON() {
        let json = Self.tinyJSON()
        for cut in [0, 1, 10, json.utf8.count / 2, json.utf8.count - 1] {
            let truncated = String(decoding: Array(json.utf8.prefix(cut)), as: UTF8.self)
            assertError(truncated) { if case .invalidJSON = $0 { return true }; return false }
        }
    }

    func testNotJSONAtAll() {
        assertError("\u{FEFF}hello") { if case .invalidJSON = $0 { return true }; return false }
        assertError("[1,2,3]") { if case .wrongType(path: "(top level)", _) = $0 { return true }; return false }
        assertError(String(repeating: "[", count: 100_000)) { if case .invalidJSON = $0 { return true }; return false }
        assertError(#"{"a":"\ud800"}"#) { if case .invalidJSON = $0 { return true }; return false }
        // Invalid UTF-8 inside a string, with and without escapes in it.
        for bytes: [UInt8] in [[0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], [0x7B, 0x22, 0x5C, 0x6E, 0xC3, 0x22, 0x3A, 0x31, 0x7D]] {
            XCTAssertThrowsError(try Tokenizer(json: Data(bytes))) { error in
                XCTAssertEqual(error as? TokenizerError, .invalidJSON(offset: 2, reason: "string is not valid UTF-8"))
            }
        }
    }

    func testMissingModel() {
        let json = #"{"added_tokens":[],"normalizer":{"type":"NFC"},"decoder":{"type":"ByteLevel"},"pre_tokenizer":"#
            + JSONValue.string("x").pythonJSON + "}"
        assertError(json) { if case .unsupported = $0 { return true }; if case .missingField = $0 { return true }; return false }
        let noModel = Self.tinyJSON().replacingOccurrences(of: #","model":{"#, with: #","nomodel":{"#)
        assertError(noModel) { $0 == .missingField(path: "model") }
    }

    func testMissingVocabAndMerges() {
        assertError(Self.tinyJSON(model: #"{"type":"BPE","merges":[]}"#)) { $0 == .missingField(path: "model.vocab") }
        assertError(Self.tinyJSON(model: #"{"type":"BPE","vocab":{"a":0}}"#)) { $0 == .missingField(path: "model.merges") }
        assertError(Self.tinyJSON(model: #"{"type":"BPE","vocab":[],"merges":[]}"#)) {
            $0 == .wrongType(path: "model.vocab", expected: "an object")
        }
    }

    func testMergeReferencingUnknownToken() {
        assertError(Self.tinyJSON(merges: #"[["h","e"],["q","zz"]]"#)) { $0 == .unknownMergeToken(index: 1, token: "zz") }
        assertError(Self.tinyJSON(merges: #"[["h","e"],["e","h"]]"#)) { $0 == .mergeResultNotInVocabulary(index: 1, merged: "eh") }
        assertError(Self.tinyJSON(merges: #"[["h","e","l"]]"#)) { if case .malformedMerge(index: 0, _) = $0 { return true }; return false }
        assertError(Self.tinyJSON(merges: #"["h e l"]"#)) { $0 == .malformedMerge(index: 0, value: "h e l") }
        assertError(Self.tinyJSON(merges: #"[42]"#)) { if case .malformedMerge(index: 0, _) = $0 { return true }; return false }
    }

    func testBadVocabularyIDs() {
        assertError(Self.tinyJSON(vocabExtra: #","he":-5"#)) { if case .invalidVocabularyEntry(token: "he", id: -5, _) = $0 { return true }; return false }
        assertError(Self.tinyJSON(vocabExtra: #","he":99999999999"#)) { if case .invalidVocabularyEntry = $0 { return true }; return false }
        assertError(Self.tinyJSON(vocabExtra: #","he":"x""#)) { if case .wrongType = $0 { return true }; return false }
        assertError(Self.tinyJSON(vocabExtra: #","he":3"#)) { if case .invalidVocabularyEntry(token: _, id: 3, _) = $0 { return true }; return false }
    }

    func testBadAddedTokens() {
        assertError(Self.tinyJSON(addedTokens: #"[{"content":"<x>"}]"#)) { if case .invalidAddedToken(index: 0, _) = $0 { return true }; return false }
        assertError(Self.tinyJSON(addedTokens: #"[{"id":5,"content":""}]"#)) { if case .invalidAddedToken(index: 0, _) = $0 { return true }; return false }
        assertError(Self.tinyJSON(addedTokens: #"[{"id":-1,"content":"<x>"}]"#)) { if case .invalidAddedToken = $0 { return true }; return false }
        assertError(Self.tinyJSON(addedTokens: #"{"id":1}"#)) { if case .wrongType(path: "added_tokens", _) = $0 { return true }; return false }
        assertError(Self.tinyJSON(addedTokens: #"[{"id":270,"content":"<x>","special":"yes"}]"#)) {
            if case .invalidAddedToken = $0 { return true }; return false
        }
    }

    func testUnsupportedPipelines() {
        assertError(Self.tinyJSON(normalizer: #"{"type":"NFKC"}"#)) { $0 == .unsupported(path: "normalizer.type", value: "NFKC") }
        assertError(Self.tinyJSON(decoder: #"{"type":"WordPiece"}"#)) { $0 == .unsupported(path: "decoder.type", value: "WordPiece") }
        assertError(Self.tinyJSON(preTokenizer: #"{"type":"Whitespace"}"#)) { if case .unsupported = $0 { return true }; return false }
        assertError(Self.tinyJSON(model: #"{"type":"WordPiece","vocab":{},"merges":[]}"#)) { $0 == .unsupported(path: "model.type", value: "WordPiece") }
        assertError(Self.tinyJSON(model: #"{"type":"BPE","dropout":0.1,"vocab":{},"merges":[]}"#)) { if case .unsupported(path: "model.dropout", _) = $0 { return true }; return false }
    }

    func testMissingFileIsATypedError() {
        XCTAssertThrowsError(try Tokenizer(directory: URL(fileURLWithPath: "/nonexistent-understudy"))) { error in
            XCTAssertEqual(error as? TokenizerError, .fileNotFound(path: "/nonexistent-understudy/tokenizer.json"))
        }
    }
}
