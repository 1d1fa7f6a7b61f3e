import Actions
import XCTest
@testable import Policy

/// Must-deny tables (safety-design §6) against a realistic task policy.
final class PolicyMustDenyTests: XCTestCase {
    static let policyText = """
    policy = "zenity-task"
    [budgets]
    max_steps = 20
    max_typed_chars = 100
    [[rule]]
    id = "permit-pointer"
    effect = "permit"
    actions = ["left_click", "mouse_move"]
    target.executable = "/usr/bin/zenity"
    target.region = "client-area"
    [[rule]]
    id = "permit-typing"
    effect = "permit"
    actions = ["type"]
    target.executable = ["/usr/bin/zenity", "/usr/bin/xterm"]
    text.matches = '[\\p{L}\\p{N} .\\n-]{1,80}'
    [[rule]]
    id = "permit-keys"
    effect = "permit"
    actions = ["key"]
    target.executable = "/usr/bin/zenity"
    keys.any = ["Return", "Tab"]
    [[rule]]
    id = "forbid-chords"
    effect = "forbid"
    actions = ["key"]
    keys.any = ["ctrl+alt+t", "ctrl+alt+BackSpace", "super", "alt+F2"]
    [[rule]]
    id = "forbid-secrets"
    effect = "forbid"
    actions = ["type"]
    text.secrets = true
    [[rule]]
    id = "forbid-newline-in-terminal"
    effect = "forbid"
    actions = ["type"]
    target.class = ["XTerm", "UXTerm"]
    text.control_characters = "present"
    [[rule]]
    id = "forbid-terminal-exe-newline"
    effect = "forbid"
    actions = ["type"]
    target.executable = ["/usr/bin/xterm"]
    text.control_characters = "present"
    """

    func testTheAllowedBaselineIsAllowed() throws {
        let policy = try Policy(toml: Self.policyText)
        XCTAssertEqual(try decide(policy, #"{"action":"left_click","coordinate":[500,350]}"#).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"type","text":"Ada"}"#).effect, .allow)
        XCTAssertEqual(try decide(policy, #"{"action":"key","keys":["Return"]}"#).effect, .allow)
    }

    func testMustDeny() throws {
        let policy = try Policy(toml: Self.policyText)
        var spoofed = zenity
        spoofed.executable = "/home/user/.local/bin/zenity"
        var fakeTitle = xterm
        fakeTitle.title = "Your name"; fakeTitle.windowClass = "Zenity"
        let table: [(String, String, WindowFacts?, WindowFacts??, BudgetCounters)] = [
            ("outside the region", #"{"action":"left_click","coordinate":[100,100]}"#, zenity, nil, .init()),
            ("other application", #"{"action":"left_click","coordinate":[500,350]}"#, xterm, nil, .init()),
            ("spoofed title and class", #"{"action":"left_click","coordinate":[500,350]}"#, fakeTitle, nil, .init()),
            ("look-alike executable", #"{"action":"type","text":"Ada"}"#, spoofed, nil, .init()),
            ("chord plain", #"{"action":"key","keys":["ctrl","alt","t"]}"#, zenity, nil, .init()),
            ("chord keysyms", #"{"action":"key","keys":["Control_R","Alt_L","T"]}"#, zenity, nil, .init()),
            ("chord emacs", #"{"action":"key","keys":["C-M-t"]}"#, zenity, nil, .init()),
            ("chord one string", #"{"action":"key","keys":["ctrl+alt+BackSpace"]}"#, zenity, nil, .init()),
            ("chord with extra shift", #"{"action":"key","keys":["ctrl","shift","alt","t"]}"#, zenity, nil, .init()),
            ("super alone", #"{"action":"key","keys":["Super_L"]}"#, zenity, nil, .init()),
            ("super spelled win", #"{"action":"key","keys":["win","r"]}"#, zenity, nil, .init()),
            ("run dialog", #"{"action":"key","keys":["Meta_L","F2"]}"#, zenity, nil, .init()),
            ("secret: password", #"{"action":"type","text":"password=abc123"}"#, zenity, nil, .init()),
            ("secret: AWS key", #"{"action":"type","text":"AKIAIOSFODNN7EXAMPLE"}"#, zenity, nil, .init()),
            ("newline into a terminal", #"{"action":"type","text":"ls\n"}"#, zenity, .some(xterm), .init()),
            ("newline into a terminal with a fake class", #"{"action":"type","text":"ls\n"}"#, zenity, .some(fakeTitle), .init()),
            ("over the step budget", #"{"action":"type","text":"Ada"}"#, zenity, nil, .init(steps: 20)),
            ("over the typed budget", #"{"action":"type","text":"Ada"}"#, zenity, nil, .init(typedCharacters: 98)),
            ("coordinate off the screen", #"{"action":"left_click","coordinate":[1300,350]}"#, zenity, nil, .init()),
            ("no window known", #"{"action":"left_click","coordinate":[500,350]}"#, nil, nil, .init()),
        ]
        for (name, json, window, focused, budget) in table {
            let d = try decide(policy, json, window: window, focused: focused, budget: budget)
            XCTAssertEqual(d.effect, .deny, "\(name): \(d.reason)")
        }
    }
}
