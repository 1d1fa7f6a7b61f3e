import XCTest
@testable import Sandbox

final class BubblewrapCommandTests: XCTestCase {
    func definition(_ extra: String = "") throws -> SandboxDefinition {
        try SandboxDefinition(toml: "name = \"t\"\n[app]\ncommand = [\"/usr/bin/zenity\", \"--info\"]\nenvironment = { FOO = \"bar\" }\n" + extra,
                              baseDirectory: "/")
    }

    /// The pairs `flag a b` as (a, b), for checking binds.
    func pairs(_ argv: [String], _ flag: String) -> [[String]] {
        argv.indices.filter { argv[$0] == flag && $0 + 2 < argv.count }.map { [argv[$0 + 1], argv[$0 + 2]] }
    }

    func testDefaultArgvIsolatesEverything() throws {
        let cmd = BubblewrapCommand(definition: try definition(), display: DisplayEndpoint(number: 7, authorityFile: "/run/x/auth7"),
                                    homePath: "/var/tmp/h")
        let argv = cmd.argv()
        XCTAssertEqual(argv.first, "/usr/bin/bwrap")
        for flag in ["--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"] {
            XCTAssertTrue(argv.contains(flag), flag)
        }
        XCTAssertFalse(argv.contains("--share-net"))
        XCTAssertEqual(Array(argv.suffix(3)), ["--", "/usr/bin/zenity", "--info"])
        XCTAssertTrue(pairs(argv, "--bind").contains(["/tmp/.X11-unix/X7", "/tmp/.X11-unix/X7"]))
        XCTAssertTrue(pairs(argv, "--bind").contains(["/var/tmp/h", "/home/user"]))
        XCTAssertTrue(pairs(argv, "--ro-bind").contains(["/run/x/auth7", "/tmp/.Xauthority"]))
        XCTAssertTrue(pairs(argv, "--ro-bind").contains(["/usr", "/usr"]))
        XCTAssertEqual(argv.firstIndex(of: "--tmpfs").map { argv[$0 + 1] }, "/tmp")
        // Nothing else of /tmp/.X11-unix and no directory of sockets is bound.
        let binds = pairs(argv, "--bind") + pairs(argv, "--ro-bind") + pairs(argv, "--ro-bind-try")
        XCTAssertEqual(binds.filter { $0[0].hasPrefix("/tmp/.X11-unix") }, [["/tmp/.X11-unix/X7", "/tmp/.X11-unix/X7"]])
        XCTAssertFalse(binds.contains { $0[0] == "/etc" || $0[0] == "/" || $0[0] == "/tmp" })
        let env = Dictionary(pairs(argv, "--setenv").map { ($0[0], $0[1]) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(env["DISPLAY"], ":7")
        XCTAssertEqual(env["XAUTHORITY"], "/tmp/.Xauthority")
        XCTAssertEqual(env["HOME"], "/home/user")
        XCTAssertEqual(env["FOO"], "bar")
        XCTAssertEqual(env["NO_AT_BRIDGE"], "1")
    }

    func testHostNetworkMustBeAskedForAndIsVisible() throws {
        let cmd = BubblewrapCommand(definition: try definition("[isolation]\nnetwork = \"host\"\n"),
                                    display: DisplayEndpoint(number: 1, authorityFile: "/a"), homePath: "/h")
        XCTAssertTrue(cmd.argv().contains("--share-net"))
    }

    func testProbeCommandReplacesOnlyTheProgram() throws {
        let cmd = BubblewrapCommand(definition: try definition(), display: DisplayEndpoint(number: 3, authorityFile: "/a"), homePath: "/h")
        let app = cmd.argv(), probe = cmd.argv(running: ["/usr/bin/true"])
        XCTAssertEqual(Array(app.dropLast(2)), Array(probe.dropLast(1)))
    }
}

/// Post-condition checks run in the application's sandbox but reach no display and only read the home;
/// one that cannot finish fails instead of stopping the session.
final class PostconditionCheckTests: XCTestCase {
    func stage(_ check: String, timeout: String = "10") throws -> SandboxStage {
        let definition = try SandboxDefinition(toml: """
            name = "checks"
            [app]
            command = ["/usr/bin/true"]
            [postconditions]
            check = \(check)
            check_timeout = \(timeout)
            """, baseDirectory: "/")
        let stage = try SandboxStage(definition: definition, display: DisplayEndpoint(number: 97, authorityFile: "/nonexistent/auth"),
                                     role: .live)
        addTeardownBlock { try? stage.home.discard() }
        return stage
    }

    func testTheCheckSeesNoDisplayAndCannotWriteTheHome() throws {
        let stage = try stage(#"["/bin/sh", "-c", "test -z \"$DISPLAY$XAUTHORITY\" && ! ls /tmp/.X11-unix/X97 && ! touch probe.txt"]"#)
        try Data("x".utf8).write(to: URL(fileURLWithPath: stage.home.path + "/seen.txt"))
        let results = try stage.checkPostconditions(homeBefore: nil)
        XCTAssertEqual(results.map(\.name), ["check"])
        XCTAssertTrue(results[0].holds, results[0].detail)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stage.home.path + "/probe.txt"))
        // What made it hold: the application's own argv binds the display and the home read-write; the
        // check's binds neither the display nor the home writable.
        func binds(_ argv: [String], _ flag: String) -> [[String]] {
            argv.indices.filter { argv[$0] == flag && $0 + 2 < argv.count }.map { [argv[$0 + 1], argv[$0 + 2]] }
        }
        let app = stage.app.command.argv()
        XCTAssertTrue(binds(app, "--bind").contains([stage.home.path, "/home/user"]))
        XCTAssertTrue(app.contains("/tmp/.X11-unix/X97"))
        var check = stage.app.command
        check.withDisplay = false
        check.homeReadOnly = true
        XCTAssertTrue(binds(check.argv(), "--ro-bind").contains([stage.home.path, "/home/user"]))
        XCTAssertFalse(check.argv().contains("/tmp/.X11-unix/X97"))
        XCTAssertFalse(check.argv().contains("DISPLAY"))
    }

    func testACheckThatDoesNotFinishFails() throws {
        let stage = try stage(#"["/bin/sleep", "5"]"#, timeout: "0.5")
        let results = try stage.checkPostconditions(homeBefore: nil)
        XCTAssertEqual(results.map(\.holds), [false])
        XCTAssertTrue(results[0].detail.contains("did not complete"), results[0].detail)
        let missing = try self.stage(#"["/nonexistent/checker"]"#).checkPostconditions(homeBefore: nil)
        XCTAssertEqual(missing.map(\.holds), [false], "\(missing)")
    }
}
