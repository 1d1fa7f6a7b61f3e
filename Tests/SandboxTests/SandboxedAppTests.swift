// Real applications under bubblewrap on a real Xvfb: windows appear on the sandbox's display only,
// writes land in the home copy only, and the process watcher sees what the sandbox spawns.

import XCTest
@testable import Sandbox

/// A window list from `xwininfo -root -children` (Desktop's X-Resource list replaces it in the agent;
/// executables are not known here).
struct XwininfoWindows: WindowLister {
    let display: TestDisplay

    func mappedWindows() throws -> [WindowRecord] {
        let output = try display.x(["/usr/bin/xwininfo", "-root", "-children"]).output
        let pattern = try NSRegularExpression(pattern: #"^\s*(0x[0-9a-f]+) (?:"(.*)"|\(has no name\)): \((?:"[^"]*" "([^"]*)")?\)"#,
                                              options: [.anchorsMatchLines])
        let text = output as NSString
        return pattern.matches(in: output, range: NSRange(location: 0, length: text.length)).compactMap { m in
            func group(_ i: Int) -> String? { m.range(at: i).location == NSNotFound ? nil : text.substring(with: m.range(at: i)) }
            guard let idText = group(1), let id = UInt64(idText.dropFirst(2), radix: 16) else { return nil }
            return WindowRecord(id: id, wmClass: group(3), title: group(2))
        }
    }
}

final class SandboxedAppTests: SandboxTestCase {
    func launch(_ definition: SandboxDefinition, on display: TestDisplay, arguments: [String]? = nil) throws -> (SandboxedApp, SandboxHome) {
        let home = try SandboxHome(seed: definition.home.seed, name: definition.name)
        homes.append(home)
        let app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: display.endpoint, homePath: home.path),
                                   logDirectory: home.root + "/logs")
        apps.append(app)
        try app.start(arguments: arguments)
        return (app, home)
    }

    func testZenityShowsAWindowOnItsOwnDisplayAndNotOnTheOther() throws {
        try requireBubblewrap()
        let own = try TestDisplay(), other = try TestDisplay()
        displays += [own, other]
        let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/zenity-form.toml")
        let (app, _) = try launch(definition, on: own)
        try poll(timeout: 20, "a zenity window on \(own.name)") { own.windowTree().contains("\"Zenity\")") }
        XCTAssertFalse(other.windowTree().contains("Zenity"), "zenity must not appear on \(other.name)")

        let inside = try XCTUnwrap(app.watcher).descendants()
        let zenity = try XCTUnwrap(inside.first { $0.executable == "/usr/bin/zenity" }, "\(inside)")
        XCTAssertEqual(zenity.executableSource, .exe)
        XCTAssertEqual(zenity.arguments.first, "/usr/bin/zenity")

        let exit = try XCTUnwrap(app.stop(gracePeriod: 3))
        XCTAssertFalse(app.isRunning)
        XCTAssertFalse(exit.forced, "zenity ends on SIGTERM within the grace period")
        try poll(timeout: 5, "the zenity window is gone") { !own.windowTree().contains("Zenity") }
    }

    func testEveryShippedDefinitionShowsItsWindowUnderTheSandbox() throws {
        try requireBubblewrap()
        let display = try TestDisplay()
        displays.append(display)
        for (name, windowClass) in [("zenity-form", "Zenity"), ("mousepad", "Mousepad"), ("galculator", "Galculator")] {
            let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/\(name).toml")
            let (app, home) = try launch(definition, on: display)
            let before = try home.snapshot()
            try poll(timeout: 20, "a \(windowClass) window from \(name)") { display.windowTree().contains("\"\(windowClass)\")") }
            XCTAssertTrue(app.isRunning, "\(name): \(app.errorOutput)")
            // Starting is not a change of the home: the seed already holds what the application creates.
            XCTAssertTrue(HomeDiff.between(before, try home.snapshot()).isEmpty, name)
            app.stop(gracePeriod: 3)
            try poll(timeout: 5, "the \(windowClass) window is gone") { !display.windowTree().contains("\"\(windowClass)\")") }
        }
    }

    /// Regression: stop() sent SIGTERM to the application and to bwrap at once; bwrap exited and, in
    /// one run, Mousepad and bwrap's process inside lived on under init. An application that does
    /// not exit on SIGTERM must still leave nothing behind.
    func testStopLeavesNothingBehindWhenTheApplicationIgnoresSIGTERM() throws {
        try requireBubblewrap()
        let own = try TestDisplay()
        displays.append(own)
        let definition = try SandboxDefinition(toml: "name = \"stubborn\"\n[app]\ncommand = [\"/bin/true\"]\n", baseDirectory: "/")
        // An ignored signal stays ignored across fork and exec: the shell and its sleep both ignore SIGTERM.
        let (app, _) = try launch(definition, on: own, arguments: ["/bin/sh", "-c", "trap '' TERM; /usr/bin/sleep 300 & wait"])
        let root = try XCTUnwrap(app.pid)
        try poll(timeout: 10, "sleep inside") { try ProcessWatcher(rootPid: root).descendants().contains { $0.executable == "/usr/bin/sleep" } }
        let inside = try ProcessWatcher(rootPid: root).descendants()
        XCTAssertGreaterThanOrEqual(inside.count, 3, "bwrap's init, sh and sleep: \(inside)")

        let exit = try XCTUnwrap(app.stop(gracePeriod: 0.3))
        XCTAssertTrue(exit.forced)
        XCTAssertFalse(app.isRunning)
        try poll(timeout: 5, "every process of the sandbox is gone") {
            !inside.contains(where: ProcessWatcher(rootPid: root).isAlive)
        }
    }

    /// Regression: with Foundation's Process the application inherited the socket Process watches for
    /// EOF (and with it, a channel to the supervisor); a process that outlived bwrap then hung
    /// waitUntilExit(). Only stdin, stdout and stderr may cross into the sandbox.
    func testNoDescriptorOfTheSupervisorReachesTheSandbox() throws {
        try requireBubblewrap()
        let own = try TestDisplay()
        displays.append(own)
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)  // deliberately not close-on-exec
        defer { close(pair[0]); close(pair[1]) }
        let definition = try SandboxDefinition(toml: "name = \"fds\"\n[app]\ncommand = [\"/bin/true\"]\n", baseDirectory: "/")
        let (app, _) = try launch(definition, on: own, arguments: [
            "/usr/bin/perl", "-e", #"opendir(my $d, "/proc/self/fd") or die; print join(" ", sort { $a <=> $b } grep { /^\d+$/ } readdir $d), "\n""#,
        ])
        XCTAssertEqual(try app.waitForExit(timeout: 20).status, 0, app.errorOutput)
        // 3 is perl's own handle on /proc/self/fd.
        XCTAssertEqual(app.standardOutput, "0 1 2 3\n")
    }

    func testAFileWrittenInsideAppearsInTheHomeDiffAndNowhereElse() throws {
        try requireBubblewrap()
        let own = try TestDisplay()
        displays.append(own)
        let definition = try SandboxDefinition(toml: """
            name = "writer"
            [app]
            command = ["/bin/true"]
            [home]
            permitted_writes = ["Documents"]
            """, baseDirectory: "/")
        let home = try SandboxHome(seed: nil, name: "writer")
        homes.append(home)
        let recorder = EffectRecorder(home: home, definition: definition, processRoot: nil, windows: nil)
        let baseline = try recorder.begin()
        let marker = "written-\(UUID().uuidString)"
        let app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: own.endpoint, homePath: home.path),
                                   logDirectory: home.root + "/logs")
        apps.append(app)
        try app.start(arguments: ["/bin/sh", "-c", "echo x > \"$HOME/out.txt\" && echo y > /tmp/\(marker) && mkdir -p ~/Documents && echo z > ~/Documents/ok.txt"])
        let exit = try app.waitForExit(timeout: 20)
        XCTAssertEqual(exit, ExitReport(reason: .exited, status: 0, forced: false), app.errorOutput)

        let effects = try recorder.finish(baseline)
        XCTAssertEqual(effects.files.map(\.path), ["Documents", "Documents/ok.txt", "out.txt"])
        XCTAssertEqual(effects.files.map(\.change), [.created, .created, .created])
        XCTAssertEqual(effects.writesOutsidePermitted.map(\.path), ["out.txt"])
        // A recorder without the application's network watch cannot say "no attempt".
        XCTAssertEqual(effects.network, NetworkObservation(namespace: .isolated, notObservable: "the recorder has no network watch"))
        XCTAssertEqual(try String(contentsOfFile: home.path + "/out.txt", encoding: .utf8), "x\n")
        // Not on the host: neither at the mount point nor in the host's /tmp.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/home/user/out.txt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/\(marker)"))
    }

    func testTheWatcherSeesAProcessSpawnedDuringAnAction() throws {
        try requireBubblewrap()
        let own = try TestDisplay()
        displays.append(own)
        let definition = try SandboxDefinition(toml: "name = \"spawner\"\n[app]\ncommand = [\"/bin/true\"]\n", baseDirectory: "/")
        let home = try SandboxHome(seed: nil, name: "spawner")
        homes.append(home)
        XCTAssertEqual(mkfifo(home.path + "/go", 0o600), 0)
        let app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: own.endpoint, homePath: home.path),
                                   logDirectory: home.root + "/logs")
        apps.append(app)
        // The "application" waits for a line on the fifo, then starts a long sleep: the action is the line.
        try app.start(arguments: ["/bin/sh", "-c", "read line < \"$HOME/go\"; /usr/bin/sleep 30 & wait"])
        let root = try XCTUnwrap(app.pid)
        try poll(timeout: 10, "the shell inside") { try ProcessWatcher(rootPid: root).descendants().contains { $0.executable.hasSuffix("sh") } }
        let recorder = EffectRecorder(home: home, definition: definition, processRoot: root, windows: XwininfoWindows(display: own))
        let baseline = try recorder.begin()
        let fifo = try XCTUnwrap(FileHandle(forWritingAtPath: home.path + "/go"))
        fifo.write(Data("go\n".utf8))
        try fifo.close()
        try poll(timeout: 10, "sleep inside") { try ProcessWatcher(rootPid: root).descendants().contains { $0.executable == "/usr/bin/sleep" } }
        let effects = try recorder.finish(baseline)
        XCTAssertEqual(effects.spawnedExecutables, ["/usr/bin/sleep"])
        XCTAssertEqual(effects.processesSpawned.first?.arguments, ["/usr/bin/sleep", "30"])
        XCTAssertTrue(effects.files.isEmpty, "\(effects.files)")
        XCTAssertTrue(effects.windowsMapped.isEmpty)
        XCTAssertTrue(effects.limitations.contains { $0.hasPrefix("processes:") })
        XCTAssertNotNil(effects.timings["processes"])
    }
}
