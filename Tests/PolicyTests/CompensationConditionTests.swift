// `compensation = true|false` on a rule: whether the request is a rollback's compensation (an input the
// agent sends to undo a live step) or the model's proposal. Compensations are not rehearsed, so effect
// conditions fail safe on them unless a rule is limited to the model's actions.

import Actions
import XCTest
@testable import Policy

final class CompensationConditionTests: XCTestCase {
    func policy() throws -> Policy { try Policy(toml: CompensationConditionTests.source) }
    static let source = """
    policy = "p"
    [[rule]]
    id = "permit-keys"
    effect = "permit"
    actions = ["key"]
    target.executable = "/usr/bin/zenity"
    keys.any = ["BackSpace"]
    [[rule]]
    id = "permit-undo-compensation"
    effect = "permit"
    actions = ["key"]
    target.executable = "/usr/bin/zenity"
    keys.any = ["ctrl+z"]
    compensation = true
    [[rule]]
    id = "forbid-unrehearsed-writes"
    effect = "forbid"
    actions = ["key"]
    effects.files_outside = ["/home/user/Documents"]
    compensation = false
    """
    let undo = #"{"action":"key","keys":["ctrl","z"]}"#
    let backSpace = #"{"action":"key","keys":["BackSpace"]}"#

    func testARuleOnCompensationsHoldsOnlyForThem() throws {
        var r = try request(undo)
        r.effects = RehearsalEffects()
        XCTAssertEqual(try policy().decision(for: r).effect, .deny, "the model may not press the undo chord")
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, [])
        r.compensation = true
        r.effects = nil
        XCTAssertEqual(try policy().decision(for: r).effect, .allow)
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, ["permit-undo-compensation"])
        let trace = try policy().evaluate(r).trace.first { $0.ruleID == "permit-undo-compensation" }
        XCTAssertTrue(trace?.notes.contains("holds: a compensation of the rollback") ?? false, "\(String(describing: trace))")
    }

    func testEffectRulesLimitedToTheModelsActionsLetAnUnrehearsedCompensationThrough() throws {
        var r = try request(backSpace)
        XCTAssertEqual(try policy().decision(for: r).effect, .deny, "an unrehearsed proposal fails safe")
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, ["forbid-unrehearsed-writes"])
        r.compensation = true
        XCTAssertEqual(try policy().decision(for: r).effect, .allow)
    }

    func testTheConditionIsStrictCanonicalAndInTheCaseContext() throws {
        let without = try Policy(toml: CompensationConditionTests.source.replacingOccurrences(of: "compensation = true\n", with: ""))
        XCTAssertNotEqual(try policy().hash, without.hash)
        XCTAssertThrowsError(try Policy(toml: "policy = \"p\"\n[[rule]]\nid = \"a\"\neffect = \"ask\"\nactions = [\"key\"]\ncompensation = \"yes\"\n"))
        XCTAssertThrowsError(try Policy(toml: "policy = \"p\"\n[[rule]]\nid = \"a\"\neffect = \"ask\"\nactions = [\"key\"]\ncompensations = true\n")) {
            XCTAssertTrue("\($0)".contains("compensations"), "\($0)")
        }
        XCTAssertEqual(try policy().lint().filter { $0.severity == .error }, [])
        var context = try PolicyContext(toml: "screen = [1280, 800]\ncompensation = true\neffects = \"none\"\n")
        XCTAssertTrue(try context.request(for: try Action(json: undo)).compensation)
        XCTAssertNil(try context.request(for: try Action(json: undo)).effects)
        context = try PolicyContext(toml: "screen = [1280, 800]\n")
        XCTAssertFalse(try context.request(for: try Action(json: undo)).compensation)
        XCTAssertThrowsError(try PolicyContext(toml: "screen = [1280, 800]\neffects = \"nothing\"\n"))
    }
}

extension CompensationConditionTests {
    func testLintWarnsAboutAnEffectForbidThatCatchesEveryCompensation() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "forbid-writes"
        effect = "forbid"
        actions = ["key", "type"]
        effects.files_outside = ["/home/user/Documents"]
        """)
        XCTAssertEqual(policy.lint().filter { $0.message.contains("compensation") }.map(\.ruleID), ["forbid-writes"])
        XCTAssertEqual(try self.policy().lint().filter { $0.message.contains("compensation") }, [])
    }
}
