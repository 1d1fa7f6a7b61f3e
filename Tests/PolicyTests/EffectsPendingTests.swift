// The decision before a rehearsal that will follow (`effectsPending`): effect conditions do not hold
// yet, so an effects forbid does not deny every action up front; the decision after the rehearsal,
// with the effects, settles them. Without the promise of a rehearsal they still fail safe.

import Actions
import XCTest
@testable import Policy

final class EffectsPendingTests: XCTestCase {
    func policy() throws -> Policy { try Policy(toml: """
    policy = "p"
    [[rule]]
    id = "permit-clicks"
    effect = "permit"
    actions = ["left_click"]
    target.executable = "/usr/bin/zenity"
    [[rule]]
    id = "forbid-outside-documents"
    effect = "forbid"
    actions = ["left_click"]
    effects.files_outside = ["/home/user/Documents"]
    [[rule]]
    id = "ask-spawn"
    effect = "ask"
    actions = ["left_click"]
    effects.spawned_any = true
    """) }
    let click = #"{"action":"left_click","coordinate":[500,350]}"#

    func testPendingEffectsDoNotHoldBeforeTheRehearsal() throws {
        var r = try request(click)
        r.effectsPending = true
        let d = try policy().decision(for: r)
        XCTAssertEqual(d.effect, .allow)
        XCTAssertEqual(d.ruleIDs, ["permit-clicks"])
    }

    func testWithoutThePromiseOfARehearsalEffectRulesStillFailSafe() throws {
        XCTAssertEqual(try policy().decision(for: try request(click)).effect, .deny)
    }

    func testTheSecondDecisionWithEffectsSettlesThem() throws {
        var r = try request(click, effects: RehearsalEffects(filesDeleted: ["/home/user/.bashrc"]))
        r.effectsPending = true  // ignored once effects are there
        XCTAssertEqual(try policy().decision(for: r).ruleIDs, ["forbid-outside-documents"])
        XCTAssertEqual(try decide(try policy(), click, effects: RehearsalEffects(filesWritten: ["/home/user/Documents/a"])).effect, .allow)
        XCTAssertEqual(try decide(try policy(), click, effects: RehearsalEffects(spawnedExecutables: ["/usr/bin/xterm"])).effect, .ask)
    }
}
