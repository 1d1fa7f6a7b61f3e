import Actions
import XCTest
@testable import Policy

final class PolicyParsingTests: XCTestCase {
    func assertError(_ toml: String, _ expected: PolicyError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Policy(toml: toml), file: file, line: line) { error in
            XCTAssertEqual(error as? PolicyError, expected, file: file, line: line)
        }
    }

    func testParsesTheDesignSketch() throws {
        let policy = try Policy(toml: """
        policy = "fill-invoice"
        description = "Type amounts into the ledger window; nothing else."
        [budgets]
        max_steps = 40
        max_actions_per_minute = 30
        max_typed_chars = 500
        [[rule]]
        id = "permit-ledger-clicks"
        effect = "permit"
        actions = ["left_click", "double_click", "scroll", "mouse_move"]
        target.executable = "/usr/bin/ledger"
        target.region = "client-area"
        [[rule]]
        id = "permit-amounts"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/ledger"
        text.matches = '^[0-9.,-]{1,20}$'
        [[rule]]
        id = "ask-before-submit"
        effect = "ask"
        actions = ["left_click", "key"]
        target.title = '(?i)submit|pay|delete'
        reason = "consequential"
        [[rule]]
        id = "forbid-escape-chords"
        effect = "forbid"
        actions = ["key"]
        keys.any = ["ctrl+alt+t", "super", "alt+F2", "ctrl+alt+BackSpace"]
        """)
        XCTAssertEqual(policy.name, "fill-invoice")
        XCTAssertEqual(policy.budgets.maxSteps, 40)
        XCTAssertEqual(policy.rules.map(\.id), ["permit-ledger-clicks", "permit-amounts", "ask-before-submit", "forbid-escape-chords"])
        XCTAssertEqual(policy.rules[0].target?.region, .clientArea)
        XCTAssertEqual(policy.rules[3].keys?.any.map(\.normalized), ["ctrl+alt+t", "super", "alt+F2", "ctrl+alt+BackSpace"])
        XCTAssertEqual(policy.hash.count, 64)
    }

    func testUnknownKeyIsRejectedWithItsPath() {
        let rules = (0..<3).map { i in
            "[[rule]]\nid = \"r\(i)\"\neffect = \"forbid\"\nactions = [\"type\"]\n" + (i == 2 ? "target.titel = \"x\"\n" : "target.title = \"x\"\n")
        }.joined()
        assertError("policy = \"p\"\n" + rules, .unknownKey(path: "rule[2].target.titel", suggestion: "title"))
        assertError("policy = \"p\"\npolcy = 1\n", .unknownKey(path: "polcy", suggestion: "policy"))
        assertError("policy = \"p\"\n[budgets]\nmax_step = 3\n", .unknownKey(path: "budgets.max_step", suggestion: "max_steps"))
        assertError("policy = \"p\"\n[[rule]]\nid = \"a\"\neffect = \"permit\"\nactions = [\"wait\"]\nwhen = 1\n",
                    .unknownKey(path: "rule[0].when", suggestion: nil))
    }

    func testSyntaxErrorsCarryLineAndColumn() {
        XCTAssertThrowsError(try Policy(toml: "policy = \"p\"\n\n[[rule]\nid = 1\n")) { error in
            guard case PolicyError.syntax(let line, let column, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 3)
            XCTAssertGreaterThan(column, 0)
        }
    }

    func testSchemaViolationsNameThePlace() {
        assertError("description = \"x\"\n", .missingKey(path: "policy"))
        assertError("policy = 3\n", .wrongType(path: "policy", expected: "a string", found: "an integer"))
        let head = "policy = \"p\"\n[[rule]]\nid = \"a\"\n"
        assertError(head + "effect = \"allow\"\nactions = [\"wait\"]\n",
                    .invalidValue(path: "rule[0].effect", reason: "\"allow\" is not permit, ask or forbid"))
        assertError(head + "effect = \"permit\"\n", .missingKey(path: "rule[0].actions"))
        XCTAssertThrowsError(try Policy(toml: head + "effect = \"permit\"\nactions = [\"click\"]\n")) { error in
            guard case PolicyError.invalidValue(let path, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "rule[0].actions[0]")
        }
        XCTAssertThrowsError(try Policy(toml: head + "effect = \"forbid\"\nactions = [\"type\"]\ntext.matches = '([a-z'\n")) { error in
            guard case PolicyError.invalidRegex(let path, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "rule[0].text.matches")
        }
        let long = String(repeating: "a", count: Pattern.maximumLength + 1)
        XCTAssertThrowsError(try Policy(toml: head + "effect = \"forbid\"\nactions = [\"type\"]\ntext.contains = '\(long)'\n"))
        XCTAssertThrowsError(try Policy(toml: head + "effect = \"forbid\"\nactions = [\"key\"]\nkeys.any = [\"ctrl+\"]\n")) { error in
            guard case PolicyError.invalidValue(let path, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "rule[0].keys.any[0]")
        }
        assertError(head + "effect = \"permit\"\nactions = [\"left_click\"]\nfocused.region = \"client-area\"\n",
                    .unknownKey(path: "rule[0].focused.region", suggestion: nil))
        assertError(head + "effect = \"permit\"\nactions = [\"left_click\"]\ntarget.executable = \"zenity\"\n",
                    .invalidValue(path: "rule[0].target.executable[0]", reason: "must be an absolute path"))
        assertError(head + "effect = \"permit\"\nactions = [\"left_click\"]\ntarget.region = [0, 0, -5, 10]\n",
                    .invalidValue(path: "rule[0].target.region", reason: "width and height must be positive"))
        assertError("policy = \"p\"\n[[rule]]\nid = \"budget.max_steps\"\neffect = \"forbid\"\nactions = [\"wait\"]\n",
                    .invalidValue(path: "rule[0].id", reason: "ids starting with budget. or builtin. are reserved"))
    }

    func testDuplicateRuleIDsAreRejected() {
        let rule = "[[rule]]\nid = \"same\"\neffect = \"permit\"\nactions = [\"wait\"]\n"
        assertError("policy = \"p\"\n" + rule + rule, .duplicateRuleID(id: "same", path: "rule[1].id"))
    }

    func testCanonicalHashIgnoresOrderSpellingAndComments() throws {
        let a = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "one"
        effect = "forbid"
        actions = ["key", "type"]
        keys.any = ["ctrl+alt+t", "Super_L"]
        [[rule]]
        id = "two"
        effect = "permit"
        actions = ["wait"]
        """)
        let b = try Policy(toml: """
        # same policy, other spelling
        policy = "p"
        [[rule]]
        id = "two"
        effect = "permit"
        actions = ["wait"]
        [[rule]]
        id = "one"
        effect = "forbid"
        actions = ["type", "key"]
        keys.any = ["super", "C-M-t"]
        """)
        XCTAssertEqual(a.hash, b.hash)
        XCTAssertEqual(a.canonicalJSON, b.canonicalJSON)
        let c = try Policy(toml: "policy = \"p\"\n[[rule]]\nid = \"two\"\neffect = \"permit\"\nactions = [\"wait\", \"answer\"]\n")
        XCTAssertNotEqual(a.hash, c.hash)
        XCTAssertTrue(a.canonicalJSON.hasPrefix(#"{"budgets":{},"description":"","policy":"p","rules":[{"actions":["key","type"],"effect":"forbid","id":"one""#),
                      a.canonicalJSON)
    }
}

final class PolicyParserRegressionTests: XCTestCase {
    /// Found by the policy parser fuzzer: inputs that crash or fool TOMLKit (control characters, a NUL
    /// that would hide every rule after it, `[#` headers, `}` inside arrays). StrictTOML's preflight
    /// rejects them (the full set of cases is in StrictTOMLTests/TOMLPreflightTests); here: they reach
    /// Policy as its own syntax errors, with line and column.
    func testTOMLKitCrashingInputsAreSyntaxErrors() {
        XCTAssertThrowsError(try Policy(toml: "policy = \"p\"\n[\u{1F}_case]]\n")) { error in
            XCTAssertEqual(error as? PolicyError, .syntax(line: 2, column: 2, message: "control character U+001F is not allowed in TOML"))
        }
        let hidden = "policy = \"p\"\n\u{0}\n[[rule]]\nid = \"forbid-all\"\neffect = \"forbid\"\nactions = [\"type\"]\n"
        XCTAssertThrowsError(try Policy(toml: hidden)) { error in
            guard case PolicyError.syntax(let line, _, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 2)
        }
        for bad in ["[#x]\n", "policy = \"p\"\na = [1, }]\n"] {
            XCTAssertThrowsError(try Policy(toml: bad), bad) { error in
                guard case PolicyError.syntax? = error as? PolicyError else { return XCTFail("\(bad): \(error)") }
            }
        }
        XCTAssertNoThrow(try Policy(toml: "policy = \"p\"\r\n\tdescription = \"tabs and CRLF are fine\"\r\n"))
    }
}
