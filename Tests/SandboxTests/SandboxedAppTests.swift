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

final class SandboxedAppTests: XCTestCase {
    var displays: [TestDisplay] = []
    var homes: [SandboxHome] = []
    var apps: [SandboxedApp] = []

    override func tearDown() {
        for a in apps { a.stop(gracePeriod: 1) }
        for d in displays { d.stop() }
        for h in homes { try? h.discard() }
    }

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
        XCTAssertEqual(effects.network, .isolatedAttemptsNotObservable)
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
