// `irreversible = true|false` on a rule: whether the sandbox can undo the action (the agent fills it
// from the compensation plan and the checkpoint strategy). Unknown fails safe.

import Actions
import XCTest
@testable import Policy

final class IrreversibleConditionTests: XCTestCase {
    func policy() throws -> Policy { try Policy(toml: """
    policy = "p"
    [[rule]]
    id = "permit-keys"
    effect = "permit"
    actions = ["key"]
    target.executable = "/usr/bin/zenity"
    [[rule]]
    id = "ask-irreversible"
    effect = "ask"
    actions = ["key"]
    irreversible = true
    reason = "cannot be undone"
    """) }
    let key = #"{"action":"key","keys":["ctrl","s"]}"#

    func testAnIrreversibleActionIsAskedAbout() throws {
        var r = try request(key)
        r.irreversible = true
        XCTAssertEqual(try policy().decision(for: r).effect, .ask)
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, ["ask-irreversible"])
        r.irreversible = false
        XCTAssertEqual(try policy().decision(for: r).effect, .allow)
    }

    func testUnknownReversibilityFailsSafe() throws {
        XCTAssertEqual(try policy().decision(for: try request(key)).effect, .ask)
    }

    func testAnAskOnIrreversibleActionsDoesNotShadowPermits() throws {
        XCTAssertEqual(try policy().lint().filter { $0.severity == .error }, [])
        let unconditional = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-keys"
        effect = "permit"
        actions = ["key"]
        target.executable = "/usr/bin/zenity"
        [[rule]]
        id = "ask-keys"
        effect = "ask"
        actions = ["key"]
        """)
        XCTAssertEqual(unconditional.lint().filter { $0.severity == .error }.map(\.ruleID), ["permit-keys"])
    }

    func testTheConditionIsPartOfTheCanonicalFormAndTheCaseContext() throws {
        let without = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "ask-irreversible"
        effect = "ask"
        actions = ["key"]
        reason = "cannot be undone"
        """)
        XCTAssertNotEqual(try policy().hash, without.hash)
        var context = try PolicyContext(toml: "screen = [1280, 800]\nirreversible = true\n")
        XCTAssertEqual(try context.request(for: try Action(json: key)).irreversible, true)
        context = try PolicyContext(toml: "screen = [1280, 800]\n")
        XCTAssertNil(try context.request(for: try Action(json: key)).irreversible)
        XCTAssertThrowsError(try Policy(toml: "policy = \"p\"\n[[rule]]\nid = \"a\"\neffect = \"ask\"\nactions = [\"key\"]\nirreversible = \"yes\"\n"))
    }
}
