import Foundation
import XCTest

/// `understudy policy lint`: warnings are printed and pass; with --strict (how CI checks the shipped
/// policies) they fail.
final class PolicyCommandTests: XCTestCase {
    func testLintStrictFailsOnWarnings() throws {
        let path = temporaryPath("policy") + ".toml"
        try """
            policy = "lint-strict"
            [[rule]]
            id = "permit-keys"
            effect = "permit"
            actions = ["key"]
            keys.any = ["Return"]
            [[rule]]
            id = "forbid-network"
            effect = "forbid"
            actions = ["key"]
            effects.network = true
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let plain = try CLI.run(["policy", "lint", path])
        XCTAssertEqual(plain.status, 0, plain.stdoutText + plain.stderr)
        XCTAssertTrue(plain.stdoutText.contains("warning: rule forbid-network"), plain.stdoutText)
        let strict = try CLI.run(["policy", "lint", "--strict", path])
        XCTAssertEqual(strict.status, 1, strict.stdoutText + strict.stderr)
        // Every shipped policy is clean under --strict.
        let shipped = try FileManager.default.contentsOfDirectory(atPath: CLI.repository.appendingPathComponent("Policies").path)
            .filter { $0.hasSuffix(".toml") && !$0.hasSuffix(".cases.toml") }
            .map { CLI.repository.appendingPathComponent("Policies/" + $0).path }
        XCTAssertFalse(shipped.isEmpty)
        let all = try CLI.run(["policy", "lint", "--strict"] + shipped)
        XCTAssertEqual(all.status, 0, all.stdoutText)
    }
}
