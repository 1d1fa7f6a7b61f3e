// Token-for-token parity with the reference (transformers' fast tokenizer on the same files) over the
// strings of Fixtures/tokenizer-cases.json, written by scripts/make-tokenizer-fixtures.py.

import Foundation
import XCTest
@testable import Tokenization
import StrictJSON

final class TokenizerParityTests: XCTestCase {
    func testEveryFixtureEncodesToTheReferenceIDs() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("cases")
        XCTAssertGreaterThanOrEqual(cases.count, 1000)
        var failures = 0
        for (i, c) in cases.enumerated() {
            let text = try c.string("text")
            let expected = try c.ids("ids")
            let got = tokenizer.encode(text)
            if got != expected {
                failures += 1
                if failures <= 20 {
                    XCTFail("case \(i) (\(try c.string("kind"))) \(text.debugDescription):\n  expected \(expected)\n  got      \(got)")
                }
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) cases differ")
    }

    func testPriorityQueueMergeMatchesTheLinearMerge() throws {
        // Every word goes through the queue when the threshold is 0; the fixtures must not notice.
        let tokenizer = try TokenizerFixtures.qwen().withHeapThreshold(0)
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("cases")
        for (i, c) in cases.enumerated() {
            XCTAssertEqual(tokenizer.encode(try c.string("text")), try c.ids("ids"), "case \(i)")
        }
    }

    func testDecodeMatchesTheReference() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("cases")
        for (i, c) in cases.enumerated() {
            let ids = try c.ids("ids")
            // Bytes, not String ==, which would accept any canonically equivalent text.
            XCTAssertEqual(Array(tokenizer.decode(ids).utf8), Array(try c.string("decoded").utf8), "case \(i)")
            XCTAssertEqual(Array(tokenizer.decode(ids, skipSpecialTokens: true).utf8),
                           Array(try c.string("decoded_skip_special").utf8), "case \(i)")
        }
    }

    func testRoundTripGivesTheNormalizedText() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("cases")
        var changedByNFC = 0
        for (i, c) in cases.enumerated() {
            let text = try c.string("text")
            // The reference's decode(encode(text)): its NFC (Unicode 9.0 data) of the text between added tokens.
            let normalized = try c.string("decoded")
            let decoded = tokenizer.decode(tokenizer.encode(text))
            XCTAssertEqual(Array(decoded.unicodeScalars), Array(normalized.unicodeScalars), "case \(i) \(text.debugDescription)")
            // Normalized text is a fixed point.
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(decoded)).utf8.elementsEqual(decoded.utf8), true, "case \(i)")
            if Array(normalized.unicodeScalars) != Array(text.unicodeScalars) { changedByNFC += 1 }
        }
        XCTAssertGreaterThan(changedByNFC, 20, "the fixtures should exercise NFC")
    }

    func testHangulAndNewerMarksNormalizeLikeTheReference() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        // Foundation on Linux leaves LV + T apart; the reference composes it.
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("\u{AC00}\u{11A8}")).unicodeScalars.map(\.value), [0xAC01])
        // U+0898 is newer than the reference's Unicode 9.0 tables: class 0 there, so it is not reordered.
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("a\u{898}\u{334}")).unicodeScalars.map(\.value), [0x61, 0x898, 0x334])
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("a\u{301}\u{334}")).unicodeScalars.map(\.value), [0xE1, 0x334])  // reordered, then composed
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("e\u{301}")), "\u{E9}")
    }

    func testAddedTokenIsMatchedBeforeNormalization() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        // NFC("<|im_start|>\u{338}") would turn the final ">" into "≯" and lose the token.
        XCTAssertEqual(tokenizer.encode("<|im_start|>\u{338}").first, 151644)
        XCTAssertEqual(Array(tokenizer.decode(tokenizer.encode("<|im_start|>\u{338}")).utf8), Array("<|im_start|>\u{338}".utf8))
    }

    func testInvalidUTF8DecodesLikeTheReference() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("invalid_utf8")
        XCTAssertGreaterThan(cases.count, 8)
        for (i, c) in cases.enumerated() {
            XCTAssertEqual(Array(tokenizer.decode(try c.ids("ids")).unicodeScalars),
                           Array(try c.string("decoded").unicodeScalars), "case \(i)")
        }
        // A lone lead byte of a CJK character.
        XCTAssertEqual(tokenizer.decode([160]), "\u{FFFD}")
    }

    func testLStripAndRStripLikeTheReference() throws {
        // Qwen sets neither flag; the fixture's reference ids come from the real file with lstrip on
        // <tool_call> and rstrip on </tool_call>, and so does this tokenizer.
        guard case .success(let dir) = TokenizerFixtures.directory else { return XCTFail("no tokenizer files") }
        let root = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("tokenizer.json")))
        guard case .object(var members) = root, let index = members.firstIndex(where: { $0.key == "added_tokens" }),
              case .array(let tokens) = members[index].value else { return XCTFail("unexpected tokenizer.json") }
        members[index].value = .array(tokens.map { token in
            guard case .object(var fields) = token, let content = token["content"]?.stringValue else { return token }
            let flag = content == "<tool_call>" ? "lstrip" : content == "</tool_call>" ? "rstrip" : nil
            if let flag, let k = fields.firstIndex(where: { $0.key == flag }) { fields[k].value = .bool(true) }
            return .object(fields)
        })
        let tokenizer = try Tokenizer(json: Data(JSONValue.object(members).pythonJSON.utf8))
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("lstrip_rstrip")
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let text = try c.string("text")
            XCTAssertEqual(tokenizer.encode(text), try c.ids("ids"), text.debugDescription)
        }
    }

    func testSpecialTokenIDsAndFlags() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        XCTAssertEqual(tokenizer.id(forToken: "<|endoftext|>"), 151643)
        XCTAssertEqual(tokenizer.id(forToken: "<|im_end|>"), 151645)
        XCTAssertEqual(tokenizer.id(forToken: "<|image_pad|>"), 151655)
        XCTAssertEqual(tokenizer.id(forToken: "</think>"), 151668)
        XCTAssertEqual(tokenizer.token(forID: 151657), "<tool_call>")
        XCTAssertEqual(tokenizer.token(forID: 220), "Ġ")
        XCTAssertEqual(tokenizer.bytes(forID: 220), [0x20])
        XCTAssertEqual(tokenizer.bytes(forID: 160), [0xE4])  // half a character: streaming output must wait
        XCTAssertEqual(tokenizer.bytes(forID: 151645), Array("<|im_end|>".utf8))
        XCTAssertNil(tokenizer.bytes(forID: 151_900))
        XCTAssertTrue(tokenizer.isSpecial(151655))
        XCTAssertFalse(tokenizer.isSpecial(151657))  // <tool_call> survives skip_special_tokens
        XCTAssertEqual(tokenizer.vocabularySize, 151669)
        XCTAssertEqual(tokenizer.encode("447"), [19, 19, 22])  // one digit per token
        XCTAssertEqual(tokenizer.decode([151644, 872, 151645], skipSpecialTokens: true), "user")
        XCTAssertEqual(tokenizer.decode([999_999, -1, 151_900]), "")  // unknown ids are skipped, like the reference
    }

    func testEncodingThroughput() throws {
        let tokenizer = try TokenizerFixtures.qwen()
        let cases = try TokenizerFixtures.load("tokenizer-cases").list("cases")
        var corpus = ""
        for c in cases { corpus += try c.string("text") + "\n" }
        var text = ""
        while text.utf8.count < 4_000_000 { text += corpus }
        let result = TokenizerBenchmark.measureEncoding(tokenizer, text: text, repetitions: 3)
        let mixed = String(format: "%.2f", result.megabytesPerSecond)
        var prose = ""
        for c in cases where (try? c.string("kind")) == "ascii-prose" || (try? c.string("kind")) == "code" {
            prose += try c.string("text") + "\n"
        }
        var english = ""
        while english.utf8.count < 4_000_000 { english += prose }
        let ascii = TokenizerBenchmark.measureEncoding(tokenizer, text: english, repetitions: 3)
        print("tokenizer encode: fixture mix \(mixed) MB/s (\(result.bytes) bytes → \(result.tokens) ids); "
              + "ASCII prose+code \(String(format: "%.2f", ascii.megabytesPerSecond)) MB/s")
        // Not a timing gate (benchmarks are commands); only a gross-regression guard far below the 1 MB/s goal.
        XCTAssertGreaterThan(result.megabytesPerSecond, 0.1)
    }
}
