// Inputs that crash or fool TOMLKit 0.6.0 (toml++ 3.4), found by the policy parser fuzzer
// (Tests/Fuzz/README.md) and guarded by TOMLPreflight. Moved here from PolicyTests when the preflight
// moved into StrictTOML; PolicyTests and SandboxTests keep a test each that the guard reaches them.

import XCTest
@testable import StrictTOML

final class TOMLPreflightTests: XCTestCase {
    /// Found by the policy parser fuzzer: a control character in a table header made toml++ abort the
    /// process on an assertion (`parse_key`), and a NUL byte would end the C string TOMLKit parses, so
    /// every key after it would vanish without an error.
    func testControlCharactersAreRejectedBeforeTOMLKitSeesThem() {
        XCTAssertThrowsError(try TOMLReader(parsing: "policy = \"p\"\n[\u{1F}_case]]\n")) { error in
            XCTAssertEqual(error as? TOMLSchemaError,
                           .syntax(file: nil, line: 2, column: 2, message: "control character U+001F is not allowed in TOML"))
        }
        let hidden = "policy = \"p\"\n\u{0}\n[[rule]]\nid = \"forbid-all\"\neffect = \"forbid\"\nactions = [\"type\"]\n"
        XCTAssertThrowsError(try TOMLReader(parsing: hidden)) { error in
            guard case TOMLSchemaError.syntax(_, let line, _, _)? = error as? TOMLSchemaError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 2)
        }
        XCTAssertNoThrow(try TOMLReader(parsing: "policy = \"p\"\r\n\tdescription = \"tabs and CRLF are fine\"\r\n"))
    }

    /// Found by the policy parser fuzzer: a table header that starts with something other than a key
    /// (`[#`, `[` then a newline, `[[ ~`) hit toml++'s `parse_key` assertion and aborted the process.
    func testTableHeadersThatDoNotStartWithAKeyAreRejected() {
        for bad in ["[#x]\n", "policy = \"p\"\n[\n", "policy = \"p\"\n  [[ ~rule]]\n", "[ .a]\n"] {
            XCTAssertThrowsError(try TOMLReader(parsing: bad), bad) { error in
                guard case TOMLSchemaError.syntax? = error as? TOMLSchemaError else { return XCTFail("\(bad): \(error)") }
            }
        }
        // Found next: a `}` where an array expects a value made toml++ assert in `parse_value`.
        for bad in ["policy = \"p\"\na = [1, }]\n", "a = {b = [}\n", "a = ]\n"] {
            XCTAssertThrowsError(try TOMLReader(parsing: bad), bad) { error in
                guard case TOMLSchemaError.syntax? = error as? TOMLSchemaError else { return XCTFail("\(bad): \(error)") }
            }
        }
        // Brackets that open arrays, and brackets inside strings and comments, are not headers.
        XCTAssertNoThrow(try TOMLReader(parsing: """
        policy = "p" # [#
        description = "[# not a header"
        [[rule]]
        id = "a"
        effect = "permit"
        actions = [
          # a comment [#
          "wait",
        ]
        reason = '''
        [# still a string
        '''
        [ "budgets" ]
        max_steps = 3
        [[rule]]
        id = "b"
        effect = "forbid"
        actions = ["key"]
        keys = { any = [ "ctrl+]", "[" ] }
        """))
    }

    func testPreflightErrorsNameTheFile() {
        XCTAssertThrowsError(try TOMLReader(parsing: "a = 1\nb = [1, }]\n", file: "x.toml")) { error in
            guard case TOMLSchemaError.syntax(let file, let line, _, _)? = error as? TOMLSchemaError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "x.toml")
            XCTAssertEqual(line, 2)
        }
    }
}
