// The Qwen2 split scanner on its own: each case is the pre-token list tokenizers' Split(Regex) gives
// (checked with `pre_tokenizer.pre_tokenize_str` on the real tokenizer.json).

import XCTest
@testable import Tokenization

final class PreTokenizerTests: XCTestCase {
    func pieces(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var out: [String] = []
        PreTokenizer().split(bytes) { out.append(String(decoding: bytes[$0], as: UTF8.self)) }
        return out
    }

    func testAlternatives() {
        XCTAssertEqual(pieces("  hello\t\tworld \n\n x"), [" ", " hello", "\t", "\tworld", " \n\n", " x"])
        XCTAssertEqual(pieces("\r\n\r\n  "), ["\r\n\r\n", "  "])
        XCTAssertEqual(pieces("ab  "), ["ab", "  "])
        XCTAssertEqual(pieces("12345 "), ["1", "2", "3", "4", "5", " "])
        XCTAssertEqual(pieces("\u{a0}\u{a0}a"), ["\u{a0}", "\u{a0}a"])
        XCTAssertEqual(pieces(" \u{3000} x"), [" \u{3000}", " x"])
        XCTAssertEqual(pieces("x'll've"), ["x", "'ll", "'ve"])
        XCTAssertEqual(pieces("'S 'LL 'Re"), ["'S", " '", "LL", " '", "Re"])
        XCTAssertEqual(pieces("'ſup"), ["'ſ", "up"])  // Oniguruma's (?i) folds ſ to s
        XCTAssertEqual(pieces("'LLama"), ["'LL", "ama"])
        XCTAssertEqual(pieces("a.b!!\n\nc"), ["a", ".b", "!!\n\n", "c"])
        XCTAssertEqual(pieces(""), [])
    }
}
