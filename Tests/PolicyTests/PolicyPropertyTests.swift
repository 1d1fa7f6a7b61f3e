import Actions
import XCTest
@testable import Policy

/// Properties of the semantics over random policies and requests (seeded, so failures reproduce).
final class PolicyPropertyTests: XCTestCase {
    static let kinds: [ActionKind] = [.leftClick, .type, .key, .mouseMove, .wait]
    static let windows: [WindowFacts?] = [zenity, xterm, nil, WindowFacts(windowClass: "Zenity", title: "Your name", executable: "/tmp/evil",
                                                                        x: 440, y: 300, width: 400, height: 200)]
    static let actions: [Action] = [
        .leftClick(Point(x: 500, y: 350)), .leftClick(Point(x: 10, y: 10)), .leftClick(nil), .mouseMove(Point(x: 700, y: 450)),
        .type("Ada"), .type("ls\n"), .type("password=hunter22"), .wait(seconds: 1),
    ] + ((try? [Action.key(KeyChord(parsing: "ctrl+alt+t")), .key(KeyChord(parsing: "Return")), .key(KeyChord(parsing: "super+e"))]) ?? [])

    static func randomRule(_ i: Int, _ g: inout SeededGenerator, effect: RuleEffect? = nil) -> Rule {
        var rule = Rule(id: "r\(i)", effect: effect ?? RuleEffect.allCases.randomElement(using: &g) ?? .permit,
                        actions: Set(kinds.filter { _ in Bool.random(using: &g) }))
        if rule.actions.isEmpty { rule.actions = [.leftClick] }
        switch Int.random(in: 0..<6, using: &g) {
        case 0: rule.target = WindowCondition(executable: [["/usr/bin/zenity", "/usr/bin/xterm"].randomElement(using: &g) ?? ""])
        case 1: rule.target = WindowCondition(executable: ["/usr/bin/zenity"], region: .clientArea)
        case 2: rule.target = WindowCondition(title: try? Pattern("(?i)name", path: "t"))
        case 3: rule.text = TextCondition(controlCharacters: Bool.random(using: &g) ? .present : .absent)
        case 4: rule.keys = (try? KeyCondition(any: [KeyChord(parsing: "ctrl+alt+t"), KeyChord(parsing: "super")]))
        default: break
        }
        return rule
    }

    static func randomRequest(_ g: inout SeededGenerator) -> PolicyRequest {
        let window = windows.randomElement(using: &g) ?? nil
        return PolicyRequest(action: actions.randomElement(using: &g) ?? .wait(seconds: 1), screenWidth: 1280, screenHeight: 800,
                             pointer: Bool.random(using: &g) ? Point(x: 600, y: 400) : nil, windowUnderPoint: window,
                             focusedWindow: windows.randomElement(using: &g) ?? nil,
                             budget: BudgetCounters(steps: Int.random(in: 0..<12, using: &g)))
    }

    func testRuleOrderNeverMatters() {
        var g = SeededGenerator(state: 1)
        for _ in 0..<300 {
            let rules = (0..<Int.random(in: 1..<8, using: &g)).map { Self.randomRule($0, &g) }
            let budgets = Budgets(maxSteps: 10)
            let policy = Policy(name: "p", description: "", budgets: budgets, rules: rules)
            let shuffled = Policy(name: "p", description: "", budgets: budgets, rules: rules.shuffled(using: &g))
            XCTAssertEqual(policy.hash, shuffled.hash)
            for _ in 0..<10 {
                let r = Self.randomRequest(&g)
                XCTAssertEqual(policy.decision(for: r), shuffled.decision(for: r))
            }
        }
    }

    func testAddingAForbidNeverWidens() {
        var g = SeededGenerator(state: 2)
        var narrowed = 0
        for _ in 0..<300 {
            let rules = (0..<Int.random(in: 1..<8, using: &g)).map { Self.randomRule($0, &g) }
            let before = Policy(name: "p", description: "", budgets: Budgets(), rules: rules)
            let after = Policy(name: "p", description: "", budgets: Budgets(),
                               rules: rules + [Self.randomRule(99, &g, effect: .forbid)])
            for _ in 0..<10 {
                let r = Self.randomRequest(&g)
                let a = before.decision(for: r).effect, b = after.decision(for: r).effect
                XCTAssertLessThanOrEqual(b, a, "\(r.action)")
                if b < a { narrowed += 1 }
            }
        }
        XCTAssertGreaterThan(narrowed, 0, "the generator never produced a forbid that mattered")
    }

    func testAddingAPermitNeverOverridesAForbid() {
        var g = SeededGenerator(state: 3)
        for _ in 0..<300 {
            let rules = (0..<Int.random(in: 1..<8, using: &g)).map { Self.randomRule($0, &g) }
            let before = Policy(name: "p", description: "", budgets: Budgets(), rules: rules)
            let after = Policy(name: "p", description: "", budgets: Budgets(), rules: rules + [Self.randomRule(99, &g, effect: .permit)])
            for _ in 0..<10 {
                let r = Self.randomRequest(&g)
                let d = before.decision(for: r)
                if d.effect == .deny && !d.ruleIDs.isEmpty { XCTAssertEqual(after.decision(for: r).effect, .deny) }
            }
        }
    }
}
