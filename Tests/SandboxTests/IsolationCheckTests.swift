// The start-up isolation check against real Xvfb servers and real bubblewrap sandboxes: it passes
// for the launcher's sandbox, and fails, naming each leak, for deliberately weakened ones.

import XCTest
@testable import Sandbox

final class IsolationCheckTests: XCTestCase {
    var displays: [TestDisplay] = []
    var homes: [SandboxHome] = []

    override func tearDown() {
        for d in displays { d.stop() }
        for h in homes { try? h.discard() }
    }

    func setUpDisplays() throws -> (own: TestDisplay, other: TestDisplay, home: SandboxHome) {
        try requireBubblewrap()
        let own = try TestDisplay(), other = try TestDisplay()
        displays += [own, other]
        let home = try SandboxHome(seed: nil, name: "isolation")
        homes.append(home)
        return (own, other, home)
    }

    func definition(_ isolation: String = "") throws -> SandboxDefinition {
        try SandboxDefinition(toml: "name = \"iso\"\n[app]\ncommand = [\"/usr/bin/true\"]\n" + isolation, baseDirectory: "/")
    }

    func testTheLaunchersSandboxPassesEveryProbe() throws {
        let (own, other, home) = try setUpDisplays()
        let command = BubblewrapCommand(definition: try definition(), display: own.endpoint, homePath: home.path)
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        XCTAssertTrue(report.passed, report.failures.map { "\($0.name): \($0.detail)" }.joined(separator: "\n"))
        XCTAssertNoThrow(try report.requirePassed())
        let m = other.name
        XCTAssertEqual(report.probes.map(\.name), [
            "own-display", "network.loopback", "network.interfaces",
            "display\(m).abstract-socket", "display\(m).socket-file", "display\(m).xdpyinfo",
            "display\(m).cookie-file", "display\(m).cookie-not-shared",
        ])
        let interfaces = report.probes.first { $0.name == "network.interfaces" }
        XCTAssertEqual(interfaces?.detail, "interfaces: interfaces: lo; routes: none")
    }

    func testSharedNetworkAndTheOtherDisplaysSocketAndCookieAreEachNamed() throws {
        let (own, other, home) = try setUpDisplays()
        // Weakened on purpose: the host's network namespace, and the other display's socket and
        // cookie bound in.
        let weak = try definition("""
            [isolation]
            network = "host"
            ro_binds = ["\(other.endpoint.socketPath)", "\(other.authorityFile)"]
            """)
        let command = BubblewrapCommand(definition: weak, display: own.endpoint, homePath: home.path)
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        XCTAssertFalse(report.passed)
        let failed = Set(report.failures.map(\.name))
        let m = other.name
        XCTAssertTrue(failed.isSuperset(of: ["network.loopback", "network.interfaces", "display\(m).abstract-socket",
                                             "display\(m).socket-file", "display\(m).cookie-file"]), "\(failed)")
        XCTAssertFalse(failed.contains("own-display"))
        XCTAssertThrowsError(try report.requirePassed()) { error in
            guard case .isolationViolated(let lines)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertTrue(lines.contains { $0.hasPrefix("network.loopback: tcp 127.0.0.1:") && $0.contains("connected") }, "\(lines)")
        }
    }

    func testOnlySharingTheNetworkStillExposesTheAbstractSocket() throws {
        let (own, other, home) = try setUpDisplays()
        let command = BubblewrapCommand(definition: try definition("[isolation]\nnetwork = \"host\"\n"),
                                        display: own.endpoint, homePath: home.path)
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        let failed = Set(report.failures.map(\.name))
        // Hiding /tmp/.X11-unix is not isolation: the abstract socket lives in the network namespace.
        XCTAssertTrue(failed.contains("display\(other.name).abstract-socket"), "\(failed)")
        XCTAssertFalse(failed.contains("display\(other.name).socket-file"), "the file socket is not bound")
        XCTAssertFalse(failed.contains("display\(other.name).cookie-file"))
    }

    func testACookieFileCarryingTheOtherDisplaysSecretFails() throws {
        let (own, other, home) = try setUpDisplays()
        let merged = home.root + "/merged-Xauthority"
        var data = try Data(contentsOf: URL(fileURLWithPath: own.authorityFile))
        data.append(try Data(contentsOf: URL(fileURLWithPath: other.authorityFile)))
        XCTAssertTrue(FileManager.default.createFile(atPath: merged, contents: data, attributes: [.posixPermissions: 0o600]))
        let command = BubblewrapCommand(definition: try definition(),
                                        display: DisplayEndpoint(number: own.number, authorityFile: merged), homePath: home.path)
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        XCTAssertEqual(report.failures.map(\.name), ["display\(other.name).cookie-not-shared"])
    }

    func testABrokenSandboxFailsTheOwnDisplayProbe() throws {
        let (own, other, home) = try setUpDisplays()
        // A cookie that is not the display's: the sandbox cannot even use its own display.
        let wrong = home.root + "/wrong-Xauthority"
        XCTAssertTrue(FileManager.default.createFile(atPath: wrong, contents: Data(), attributes: [.posixPermissions: 0o600]))
        let command = BubblewrapCommand(definition: try definition(),
                                        display: DisplayEndpoint(number: own.number, authorityFile: wrong), homePath: home.path)
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        XCTAssertEqual(report.failures.map(\.name), ["own-display"])
    }
}
