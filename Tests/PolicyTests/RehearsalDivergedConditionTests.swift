// `rehearsal_diverged = true|false` on a rule: whether the action's rehearsal started from a state other
// than the live one (its effects are then withheld). Pending before the rehearsal, unknown (fail-safe)
// without one, known after it.

import Actions
import XCTest
@testable import Policy

final class RehearsalDivergedConditionTests: XCTestCase {
    static let source = """
    policy = "p"
    [[rule]]
    id = "permit-typing"
    effect = "permit"
    actions = ["type"]
    target.executable = "/usr/bin/zenity"
    [[rule]]
    id = "ask-diverged"
    effect = "ask"
    actions = ["type", "key"]
    rehearsal_diverged = true
    compensation = false
    reason = "the rehearsal did not start from the live state"
    """
    func policy() throws -> Policy { try Policy(toml: Self.source) }
    let typing = #"{"action":"type","text":"Ada"}"#

    func testTheConditionFollowsTheRehearsal() throws {
        var r = try request(typing)
        // Before the rehearsal (pending): it does not hold yet.
        r.effectsPending = true
        XCTAssertEqual(try policy().decision(for: r).effect, .allow)
        // Not rehearsed at all: unknown, so the ask matches (fail-safe).
        r.effectsPending = false
        XCTAssertEqual(try policy().decision(for: r).effect, .ask)
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, ["ask-diverged"])
        // After a rehearsal that started from the live state: no ask.
        r.rehearsalDiverged = false
        r.effects = RehearsalEffects()
        XCTAssertEqual(try policy().decision(for: r).effect, .allow)
        // After one that did not (effects withheld): the ask holds, with its reason.
        r.rehearsalDiverged = true
        r.effects = nil
        let d = try policy().decision(for: r)
        XCTAssertEqual(d.effect, .ask)
        XCTAssertTrue(d.reason.contains("the rehearsal did not start from the live state"), d.reason)
        // A compensation is not judged by it.
        r.compensation = true
        r.rehearsalDiverged = nil
        XCTAssertEqual(try policy().decision(for: r).ruleIDs.contains("ask-diverged"), false)
    }

    func testTheConditionIsStrictCanonicalLintedAndInTheCaseContext() throws {
        let without = try Policy(toml: Self.source.replacingOccurrences(of: "rehearsal_diverged = true\n", with: "rehearsal_diverged = false\n"))
        XCTAssertNotEqual(try policy().hash, without.hash)
        XCTAssertThrowsError(try Policy(toml: Self.source.replacingOccurrences(of: "rehearsal_diverged = true", with: "rehearsal_diverged = \"yes\"")))
        XCTAssertThrowsError(try Policy(toml: Self.source.replacingOccurrences(of: "rehearsal_diverged", with: "rehearsal_divergd"))) {
            XCTAssertTrue("\($0)".contains("rehearsal_divergd"), "\($0)")
        }
        XCTAssertEqual(try policy().lint(), [])
        let catchesCompensations = try Policy(toml: Self.source.replacingOccurrences(of: "compensation = false\n", with: ""))
        XCTAssertEqual(catchesCompensations.lint().map(\.ruleID), ["ask-diverged"])
        let context = try PolicyContext(toml: "screen = [1280, 800]\nrehearsal_diverged = true\neffects = \"none\"\n")
        XCTAssertEqual(try context.request(for: try Action(json: typing)).rehearsalDiverged, true)
        XCTAssertNil(try PolicyContext(toml: "screen = [1280, 800]\n").request(for: try Action(json: typing)).rehearsalDiverged)
    }
}
