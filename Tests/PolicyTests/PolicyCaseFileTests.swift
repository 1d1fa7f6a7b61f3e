import Foundation
import XCTest
@testable import Policy

final class PolicyCaseFileTests: XCTestCase {
    let policy = """
    policy = "p"
    [[rule]]
    id = "permit-zenity"
    effect = "permit"
    actions = ["left_click"]
    target.executable = "/usr/bin/zenity"
    [[rule]]
    id = "never-used"
    effect = "permit"
    actions = ["type"]
    target.executable = "/usr/bin/mousepad"
    """

    func testACaseFileWithoutCasesDoesNotPass() throws {
        let report = try Policy(toml: policy).run(try PolicyCaseFile(toml: ""))
        XCTAssertTrue(report.results.isEmpty)
        XCTAssertFalse(report.passed, "no cases proves nothing")
    }

    func testRunsCasesAndReportsFailuresAndCoverage() throws {
        let cases = try PolicyCaseFile(toml: """
        [defaults]
        screen = [1280, 800]
        window = { executable = "/usr/bin/zenity", class = "Zenity", geometry = [0, 0, 400, 300] }

        [[case]]
        name = "click"
        action = '{"action":"left_click","coordinate":[10,10]}'
        expect = "allow"
        rule = "permit-zenity"

        [[case]]
        name = "wrong expectation"
        action = '{"action":"left_click","coordinate":[10,10]}'
        window = { executable = "/usr/bin/xterm" }
        expect = "allow"

        [[case]]
        name = "wrong rule"
        action = '{"action":"left_click","coordinate":[10,10]}'
        expect = "allow"
        rule = "never-used"

        [[case]]
        name = "default deny"
        action = '{"action":"right_click","coordinate":[10,10]}'
        expect = "deny"
        rule = "none"
        """)
        let report = try Policy(toml: policy).run(cases)
        XCTAssertEqual(report.results.map(\.passed), [true, false, false, true])
        XCTAssertTrue(report.results[1].message.contains("expected allow, got deny"), report.results[1].message)
        XCTAssertTrue(report.results[2].message.contains("never-used"), report.results[2].message)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.unexercisedRules, ["never-used"])
    }

    func testCaseFileErrorsNameThePlace() {
        XCTAssertThrowsError(try PolicyCaseFile(toml: "[[case]]\nname = \"a\"\naction = '{\"action\":\"wait\",\"time\":1}'\nexpect = \"allow\"\nscreen = [10, 10]\nwindow = { titel = \"x\" }\n")) { error in
            XCTAssertEqual(error as? PolicyError, .unknownKey(path: "case[0].window.titel", suggestion: "title"))
        }
        XCTAssertThrowsError(try PolicyCaseFile(toml: "[[case]]\nname = \"a\"\naction = '{\"action\":\"fly\"}'\nexpect = \"allow\"\n")) { error in
            guard case PolicyError.invalidValue(let path, _)? = error as? PolicyError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "case[0].action")
        }
        XCTAssertThrowsError(try PolicyCaseFile(toml: "[[case]]\nname = \"a\"\naction = '{\"action\":\"wait\",\"time\":1}'\nexpect = \"allow\"\n")) { error in
            XCTAssertEqual(error as? PolicyError, .missingKey(path: "case[0].screen"))
        }
    }

    /// The shipped policies lint clean and pass their own cases (scripts/test also runs them via the CLI).
    func testShippedPoliciesPassTheirCases() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: policiesDirectory.path)
            .filter { $0.hasSuffix(".toml") && !$0.hasSuffix(".cases.toml") }.sorted()
        XCTAssertTrue(files.contains("default.toml"), "\(files)")
        for file in files {
            let policy = try Policy.load(path: policiesDirectory.appendingPathComponent(file).path)
            XCTAssertEqual(policy.lint().filter { $0.severity == .error }, [], file)
            let casesPath = policiesDirectory.appendingPathComponent(file.replacingOccurrences(of: ".toml", with: ".cases.toml")).path
            let report = policy.run(try PolicyCaseFile.load(path: casesPath))
            XCTAssertGreaterThan(report.results.count, 5, file)
            for r in report.results where !r.passed { XCTFail("\(file): \(r.name): \(r.message)") }
            XCTAssertEqual(report.unexercisedRules, [], file)
        }
    }

    func testDefaultPolicyPermitsOnlyObservation() throws {
        let policy = try Policy.load(path: policiesDirectory.appendingPathComponent("default.toml").path)
        let permitted = policy.rules.filter { $0.effect == .permit }.reduce(into: Set()) { $0.formUnion($1.actions) }
        XCTAssertTrue(permitted.allSatisfy(\.isObservationOnly), "\(permitted)")
    }
}
