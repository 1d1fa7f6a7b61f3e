import XCTest
@testable import Policy

final class PolicyLintTests: XCTestCase {
    func findings(_ rules: String) throws -> [LintFinding] {
        try Policy(toml: "policy = \"p\"\n" + rules).lint()
    }

    func testPermitOnSpoofableAttributesIsAnError() throws {
        let f = try findings("""
        [[rule]]
        id = "by-title"
        effect = "permit"
        actions = ["left_click"]
        target.title = "Invoice"
        target.class = "Ledger"
        """)
        XCTAssertTrue(f.contains { $0.severity == .error && $0.ruleID == "by-title" && $0.message.contains("title/class") }, "\(f)")
        let fixed = try findings("""
        [[rule]]
        id = "by-title"
        effect = "permit"
        actions = ["left_click"]
        target.title = "Invoice"
        target.executable = "/usr/bin/ledger"
        """)
        XCTAssertFalse(fixed.contains { $0.severity == .error }, "\(fixed)")
    }

    func testTitleMayNarrowAForbid() throws {
        let f = try findings("""
        [[rule]]
        id = "forbid-delete"
        effect = "forbid"
        actions = ["left_click"]
        target.title = "(?i)delete"
        [[rule]]
        id = "ok"
        effect = "permit"
        actions = ["wait"]
        """)
        XCTAssertEqual(f, [])
    }

    func testShadowedRulesAreErrors() throws {
        let f = try findings("""
        [[rule]]
        id = "forbid-typing"
        effect = "forbid"
        actions = ["type", "key"]
        [[rule]]
        id = "permit-typing"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        [[rule]]
        id = "forbid-zenity-clicks"
        effect = "forbid"
        actions = ["left_click", "double_click"]
        target.executable = "/usr/bin/zenity"
        [[rule]]
        id = "permit-zenity-clicks"
        effect = "permit"
        actions = ["left_click"]
        target.executable = "/usr/bin/zenity"
        target.region = "client-area"
        [[rule]]
        id = "permit-other-clicks"
        effect = "permit"
        actions = ["left_click"]
        target.executable = "/usr/bin/mousepad"
        """)
        let shadowed = f.filter { $0.message.contains("shadowed") }.compactMap(\.ruleID)
        XCTAssertEqual(Set(shadowed), ["permit-typing", "permit-zenity-clicks"], "\(f)")
    }

    func testConditionsThatCanNeverHold() throws {
        let f = try findings("""
        [[rule]]
        id = "text-on-click"
        effect = "forbid"
        actions = ["left_click"]
        text.secrets = true
        [[rule]]
        id = "keys-on-type"
        effect = "forbid"
        actions = ["type"]
        keys.any = ["super"]
        [[rule]]
        id = "region-on-keys"
        effect = "permit"
        actions = ["key"]
        target.executable = "/usr/bin/zenity"
        target.region = [0, 0, 10, 10]
        """)
        XCTAssertEqual(Set(f.filter { $0.severity == .error }.compactMap(\.ruleID)), ["text-on-click", "keys-on-type", "region-on-keys"], "\(f)")
    }

    func testWarnsAboutBroadPermitsAndSlowRegexes() throws {
        let f = try findings("""
        [[rule]]
        id = "click-anywhere"
        effect = "permit"
        actions = ["left_click"]
        [[rule]]
        id = "slow"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        text.matches = '(a+)+b'
        """)
        XCTAssertTrue(f.contains { $0.severity == .warning && $0.ruleID == "click-anywhere" }, "\(f)")
        XCTAssertTrue(f.contains { $0.severity == .warning && $0.ruleID == "slow" && $0.message.contains("nests") }, "\(f)")
        XCTAssertFalse(Policy.hasNestedQuantifier("[a-z]+(foo|bar)"))
    }

    func testPermitForSecretsIsAnError() throws {
        let f = try findings("""
        [[rule]]
        id = "leak"
        effect = "permit"
        actions = ["type"]
        target.executable = "/usr/bin/zenity"
        text.secrets = true
        """)
        XCTAssertTrue(f.contains { $0.severity == .error && $0.ruleID == "leak" })
    }
}
