import XCTest
@testable import StrictTOML

final class TOMLReaderTests: XCTestCase {
    func testUnreadKeysAreRejectedWithPathAndSuggestion() throws {
        var root = try TOMLReader(parsing: "name = \"x\"\n[[rule]]\nid = \"a\"\ntitel = \"t\"\n")
        XCTAssertEqual(try root.requiredString("name"), "x")
        var rules = try root.tables("rule")
        XCTAssertEqual(rules.count, 1)
        XCTAssertEqual(try rules[0].string("id"), "a")
        XCTAssertEqual(try rules[0].string("title"), nil)
        XCTAssertThrowsError(try rules[0].finish()) { error in
            XCTAssertEqual(error as? TOMLSchemaError, .unknownKey(path: "rule[0].titel", suggestion: "title"))
        }
        XCTAssertNoThrow(try root.finish())
    }

    func testTypesAndRangesNameThePlace() throws {
        var root = try TOMLReader(parsing: "n = -1\nw = 10\ns = 3\nargv = \"sh -c x\"\nenv = { A = 1 }\nxs = []\n")
        XCTAssertThrowsError(try root.int("n")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .invalidValue(path: "n", reason: "must be at least 0"))
        }
        XCTAssertThrowsError(try root.int("w", range: 64...8192)) {
            XCTAssertEqual($0 as? TOMLSchemaError, .invalidValue(path: "w", reason: "must be in 64…8192"))
        }
        XCTAssertThrowsError(try root.string("s")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .wrongType(path: "s", expected: "a string", found: "an integer"))
        }
        XCTAssertThrowsError(try root.stringArray("argv")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .wrongType(path: "argv", expected: "an array of strings", found: "a string"))
        }
        XCTAssertThrowsError(try root.stringTable("env")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .wrongType(path: "env.A", expected: "a string", found: "an integer"))
        }
        XCTAssertThrowsError(try root.strings("xs")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .invalidValue(path: "xs", reason: "must not be empty"))
        }
        XCTAssertThrowsError(try root.requiredString("missing")) {
            XCTAssertEqual($0 as? TOMLSchemaError, .missingKey(path: "missing"))
        }
    }

    func testSyntaxErrorsCarryFileLineAndColumn() {
        XCTAssertThrowsError(try TOMLReader(parsing: "a = 1\n\n[[rule]\n", file: "p.toml")) { error in
            guard case TOMLSchemaError.syntax(let file, let line, let column, _)? = error as? TOMLSchemaError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, "p.toml")
            XCTAssertEqual(line, 3)
            XCTAssertGreaterThan(column, 0)
        }
    }
}
