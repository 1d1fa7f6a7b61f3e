import Actions
import XCTest
@testable import Policy

final class PolicyEvaluationTests: XCTestCase {
    let layered = """
    policy = "layered"
    [[rule]]
    id = "permit-zenity"
    effect = "permit"
    actions = ["left_click", "type"]
    target.executable = "/usr/bin/zenity"
    [[rule]]
    id = "ask-submit"
    effect = "ask"
    actions = ["left_click"]
    target.executable = "/usr/bin/zenity"
    target.title = '(?i)submit'
    reason = "consequential"
    [[rule]]
    id = "forbid-delete"
    effect = "forbid"
    actions = ["left_click", "type"]
    target.title = '(?i)delete'
    reason = "destructive"
    """

    func testForbidBeatsAskBeatsPermit() throws {
        let policy = try Policy(toml: layered)
        let click = #"{"action":"left_click","coordinate":[500,350]}"#
        var w = zenity
        XCTAssertEqual(try decide(policy, click, window: w), Decision(effect: .allow, ruleIDs: ["permit-zenity"],
                                                                     reason: "permitted by permit-zenity", policyHash: policy.hash))
        w.title = "Submit form"
        let ask = try decide(policy, click, window: w)
        XCTAssertEqual(ask.effect, .ask)
        XCTAssertEqual(ask.ruleIDs, ["ask-submit"])
        XCTAssertTrue(ask.reason.contains("consequential"))
        w.title = "Submit and delete"
        let deny = try decide(policy, click, window: w)
        XCTAssertEqual(deny.effect, .deny)
        XCTAssertEqual(deny.ruleIDs, ["forbid-delete"])
        XCTAssertTrue(deny.reason.contains("destructive"))
    }

    func testNothingMatchingIsDeniedWithTheDefaultReason() throws {
        let policy = try Policy(toml: layered)
        let d = try decide(policy, #"{"action":"right_click","coordinate":[500,350]}"#)
        XCTAssertEqual(d.effect, .deny)
        XCTAssertEqual(d.ruleIDs, [])
        XCTAssertEqual(d.reason, Decision.noRulePermits)
        XCTAssertEqual(d.policyHash, policy.hash)
    }

    func testEvaluationFailureIsFailSafe() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-zenity"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        [[rule]]
        id = "forbid-xterm"
        effect = "forbid"
        actions = ["left_click"]
        target.executable = "/usr/bin/xterm"
        [[rule]]
        id = "permit-clicks"
        effect = "permit"
        actions = ["left_click"]
        target.region = [0, 0, 1280, 800]
        """)
        var unknownOwner = zenity
        unknownOwner.executable = nil
        // A permit that cannot be evaluated does not match...
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"a"}"#, window: unknownOwner).reason, Decision.noRulePermits)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"a"}"#, window: nil).effect, .deny)
        // ...and a forbid that cannot be evaluated does.
        let d = try decide(policy, #"{"action":"left_click","coordinate":[10,10]}"#, window: unknownOwner)
        XCTAssertEqual(d.effect, .deny)
        XCTAssertEqual(d.ruleIDs, ["forbid-xterm"])
        let trace = policy.evaluate(try request(#"{"action":"left_click","coordinate":[10,10]}"#, window: unknownOwner)).trace
        XCTAssertEqual(trace.first { $0.ruleID == "forbid-xterm" }?.outcome, .failed(countsAsMatch: true))
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[10,10]}"#, window: xterm).ruleIDs, ["forbid-xterm"])
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[10,10]}"#).effect, .allow)
    }

    func testKeyboardActionsTargetTheFocusedWindow() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-typing"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        """)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"a"}"#, window: xterm, focused: zenity).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"a"}"#, window: zenity, focused: xterm).effect, .deny)
    }

    func testRegionsAbsoluteClientAreaAndWindowRelative() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "client"
        effect = "permit"
        actions = ["left_click"]
        target.executable = "/usr/bin/zenity"
        target.region = "client-area"
        [[rule]]
        id = "ok-button"
        effect = "permit"
        actions = ["double_click"]
        target.executable = "/usr/bin/zenity"
        target.window_region = [300, 150, 100, 50]
        [[rule]]
        id = "top-strip"
        effect = "permit"
        actions = ["left_click_drag", "mouse_move"]
        target.executable = "/usr/bin/zenity"
        target.region = [0, 0, 1280, 100]
        """)
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[440,300]}"#).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[840,300]}"#).effect, .deny)  // x = x + width is outside
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[439,300]}"#).effect, .deny)
        XCTAssertEqual(try decide(policy, #"{"action":"double_click","coordinate":[750,460]}"#).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"double_click","coordinate":[700,460]}"#).effect, .deny)
        XCTAssertEqual(try decide(policy, #"{"action":"mouse_move","coordinate":[10,10]}"#).effect, .allow)
        // A drag starts at the pointer: both ends must be inside.
        let drag = try request(#"{"action":"left_click_drag","coordinate":[10,10]}"#, pointer: Point(x: 10, y: 500))
        XCTAssertEqual(policy.decision(for: drag).effect, .deny)
        let inside = try request(#"{"action":"left_click_drag","coordinate":[10,10]}"#, pointer: Point(x: 500, y: 50))
        XCTAssertEqual(policy.decision(for: inside).effect, .allow)
        // A click without a coordinate acts at the pointer; an unknown pointer cannot be placed.
        XCTAssertEqual(policy.decision(for: try request(#"{"action":"left_click"}"#, pointer: Point(x: 500, y: 350))).effect, .allow)
        XCTAssertEqual(policy.decision(for: try request(#"{"action":"left_click"}"#, pointer: nil)).effect, .deny)
    }

    func testKeyChordsMatchInEverySpelling() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-keys"
        effect = "permit"
        actions = ["key"]
        target.executable = "/usr/bin/zenity"
        keys.any = ["ctrl+s", "Return"]
        [[rule]]
        id = "forbid-escapes"
        effect = "forbid"
        actions = ["key"]
        keys.any = ["ctrl+alt+t", "super"]
        """)
        for keys in [#"["ctrl","s"]"#, #"["Control_L","S"]"#, #"["C-s"]"#, #"["control+s"]"#, #"["enter"]"#, #"["Return"]"#] {
            XCTAssertEqual(try decide(policy, #"{"action":"key","keys":\#(keys)}"#).effect, .allow, keys)
        }
        // Permits match only the exact chord.
        XCTAssertEqual(try decide(policy, #"{"action":"key","keys":["ctrl","shift","s"]}"#).effect, .deny)
        for keys in [#"["ctrl","alt","t"]"#, #"["Control_L+Alt_L+T"]"#, #"["C-M-t"]"#, #"["ctrl+alt+t"]"#, #"["alt","ctrl","T"]"#,
                     #"["ctrl","alt","shift","t"]"#, #"["super"]"#, #"["Super_L"]"#, #"["win","e"]"#, #"["ctrl","super","s"]"#] {
            let d = try decide(policy, #"{"action":"key","keys":\#(keys)}"#)
            XCTAssertEqual(d.effect, .deny, keys)
            XCTAssertEqual(d.ruleIDs, ["forbid-escapes"], keys)
        }
    }

    func testTextConditions() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-amounts"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        text.matches = '[0-9.,-]{1,20}'
        text.max_length = 10
        [[rule]]
        id = "forbid-control"
        effect = "forbid"
        actions = ["type"]
        text.control_characters = "present"
        [[rule]]
        id = "ask-rm"
        effect = "ask"
        actions = ["type"]
        text.contains = 'rm\\s+-'
        """)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"12.50"}"#).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"12.50 EUR"}"#).effect, .deny, "the whole text must match")
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"12345678901"}"#).effect, .deny, "max_length")
        // `$` would accept a final newline; whole-text matching must not.
        let newline = try decide(policy, #"{"action":"type","text":"12\n"}"#)
        XCTAssertEqual(newline.ruleIDs, ["forbid-control"])
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"1\u202e2"}"#).ruleIDs, ["forbid-control"])
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"rm -rf x"}"#).effect, .ask)
    }

    func testBudgetsAreImplicitForbids() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [budgets]
        max_steps = 10
        max_seconds = 60
        max_actions_per_minute = 5
        max_typed_chars = 10
        max_consecutive_denials = 2
        [[rule]]
        id = "permit"
        effect = "permit"
        actions = ["type", "wait", "terminate"]
        target.executable = "/usr/bin/zenity"
        """)
        let type = #"{"action":"type","text":"abc"}"#
        XCTAssertEqual(try decide(policy, type, budget: BudgetCounters(steps: 9, elapsedSeconds: 59, actionsInLastMinute: 4,
                                                                       typedCharacters: 7, consecutiveDenials: 1)).effect, .allow)
        let cases: [(BudgetCounters, String)] = [
            (BudgetCounters(steps: 10), "budget.max_steps"),
            (BudgetCounters(elapsedSeconds: 60), "budget.max_seconds"),
            (BudgetCounters(actionsInLastMinute: 5), "budget.max_actions_per_minute"),
            (BudgetCounters(typedCharacters: 8), "budget.max_typed_chars"),
            (BudgetCounters(consecutiveDenials: 2), "budget.max_consecutive_denials"),
        ]
        for (counters, id) in cases {
            let d = try decide(policy, type, budget: counters)
            XCTAssertEqual(d.effect, .deny, id)
            XCTAssertEqual(d.ruleIDs, [id])
        }
        // Ending the run stays possible when the budget is spent.
        XCTAssertEqual(try decide(policy, #"{"action":"terminate","status":"failure"}"#, budget: BudgetCounters(steps: 10)).effect, .allow)
    }

    func testOffScreenPointsAreDenied() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-anywhere"
        effect = "permit"
        actions = ["left_click", "mouse_move"]
        target.executable = "/usr/bin/zenity"
        """)
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[1279,799]}"#).effect, .allow)
        for point in [(1280.0, 10.0), (10, 800), (-1, 10), (10, -0.5), (.nan, 10), (.infinity, 10)] {
            let r = PolicyRequest(action: .leftClick(Point(x: point.0, y: point.1)), screenWidth: 1280, screenHeight: 800,
                                  windowUnderPoint: zenity, focusedWindow: zenity)
            let d = policy.decision(for: r)
            XCTAssertEqual(d.effect, .deny, "\(point)")
            XCTAssertEqual(d.ruleIDs, ["builtin.point-off-screen"])
        }
        // A grid coordinate mapped with the wrong screen size lands off the screen and is caught here.
        let mapped = try GridMapping(width: 1920, height: 1080).toPixels(.leftClick(Point(x: 999, y: 999)))
        let r = PolicyRequest(action: mapped, screenWidth: 1280, screenHeight: 800, windowUnderPoint: zenity, focusedWindow: zenity)
        XCTAssertEqual(policy.decision(for: r).ruleIDs, ["builtin.point-off-screen"])
    }

    func testEffectConditions() throws {
        let policy = try Policy(toml: """
        policy = "p"
        [[rule]]
        id = "permit-clicks"
        effect = "permit"
        actions = ["left_click"]
        target.executable = "/usr/bin/zenity"
        [[rule]]
        id = "forbid-outside-home"
        effect = "forbid"
        actions = ["left_click"]
        effects.files_outside = ["/home/user"]
        [[rule]]
        id = "ask-new-terminal"
        effect = "ask"
        actions = ["left_click"]
        effects.new_window_executable = ["/usr/bin/xterm"]
        [[rule]]
        id = "forbid-network"
        effect = "forbid"
        actions = ["left_click"]
        effects.network = true
        """)
        let click = #"{"action":"left_click","coordinate":[500,350]}"#
        XCTAssertEqual(try decide(policy, click, effects: RehearsalEffects(filesWritten: ["/home/user/a.txt"])).effect, .allow)
        XCTAssertEqual(try decide(policy, click, effects: RehearsalEffects(filesWritten: ["/home/user/../../etc/passwd"])).ruleIDs,
                       ["forbid-outside-home"])
        XCTAssertEqual(try decide(policy, click, effects: RehearsalEffects(filesCreated: ["/home/username/x"])).ruleIDs,
                       ["forbid-outside-home"], "a sibling folder with the same prefix is outside")
        XCTAssertEqual(try decide(policy, click, effects: RehearsalEffects(newWindows: [.init(windowClass: "XTerm", executable: "/usr/bin/xterm")])).effect, .ask)
        XCTAssertEqual(try decide(policy, click, effects: RehearsalEffects(networkAttempts: ["10.0.0.1:80"])).ruleIDs, ["forbid-network"])
        // Attempts the rehearsal could not observe are unknown, not none: the network forbid cannot
        // evaluate and so matches (fail safe), like an unrehearsed action.
        let unobserved = try decide(policy, click, effects: RehearsalEffects(filesWritten: ["/home/user/a.txt"], networkNotObservable: "no watcher"))
        XCTAssertEqual(unobserved.effect, .deny)
        XCTAssertEqual(unobserved.ruleIDs, ["forbid-network"])
        // Not rehearsed: effect forbids cannot be evaluated and so match (fail safe).
        XCTAssertEqual(try decide(policy, click, effects: nil).effect, .deny)
    }
}
