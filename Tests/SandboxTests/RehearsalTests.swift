// Rehearsal and rollback with real applications, at the Sandbox level: two displays (rehearsal and
// live), two homes from the same seed, the same definition. Input goes through xdotool here; in the
// agent it goes through Desktop's XTest, and the policy judges the recorded effects.

import XCTest
@testable import Sandbox

final class RehearsalTests: SandboxTestCase {
    /// One stage (live or rehearsal) with the test's handle on its display.
    struct Stage {
        let display: TestDisplay
        let stage: SandboxStage
        var home: SandboxHome { stage.home }
        var app: SandboxedApp { stage.app }
    }

    /// The rehearsal and live stages of one definition, each on its own display, each started only
    /// after its isolation check against the other display passed.
    func stages(_ definition: SandboxDefinition) throws -> (rehearsal: Stage, live: Stage) {
        let rehearsalDisplay = try TestDisplay(), liveDisplay = try TestDisplay()
        displays += [rehearsalDisplay, liveDisplay]
        let rehearsal = try SandboxStage(definition: definition, display: rehearsalDisplay.endpoint, role: .rehearsal)
        let live = try SandboxStage(definition: definition, display: liveDisplay.endpoint, role: .live)
        homes += [rehearsal.home, live.home]
        apps += [rehearsal.app, live.app]
        let reports = [try rehearsal.start(otherDisplays: [liveDisplay.endpoint]), try live.start(otherDisplays: [rehearsalDisplay.endpoint])]
        XCTAssertTrue(reports.allSatisfy(\.passed))
        return (Stage(display: rehearsalDisplay, stage: rehearsal), Stage(display: liveDisplay, stage: live))
    }

    /// Waits for the window named `name` and gives it the keyboard focus (there is no window manager).
    func focus(_ display: TestDisplay, window name: String) throws {
        let search = try display.x(["/usr/bin/xdotool", "search", "--sync", "--onlyvisible", "--name", name], timeout: 20)
        let id = try XCTUnwrap(search.output.split(separator: "\n").last.map(String.init), "no window \(name)")
        try display.x(["/usr/bin/xdotool", "mousemove", "200", "200"])
        try display.x(["/usr/bin/xdotool", "windowfocus", "--sync", id])
    }

    func send(_ display: TestDisplay, _ arguments: [String]) throws {
        let r = try display.x(["/usr/bin/xdotool"] + arguments)
        XCTAssertEqual(r.status, 0, r.output)
    }

    func notes(_ home: SandboxHome) throws -> String {
        try String(contentsOfFile: home.path + "/Documents/notes.txt", encoding: .utf8)
    }

    // MARK: -

    func testARehearsedSaveShowsTheWriteBeforeTheLiveSaveHappens() throws {
        try requireBubblewrap()
        let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/mousepad.toml")
        let (rehearsal, live) = try stages(definition)
        let original = try notes(live.home)
        for s in [rehearsal, live] { try focus(s.display, window: "notes.txt") }

        // Step 1, typing: rehearsed, then replayed live (keeps the two in step).
        let recorder = rehearsal.stage.recorder(windows: XwininfoWindows(display: rehearsal.display))
        for s in [rehearsal, live] {
            try send(s.display, ["key", "ctrl+End"])
            try send(s.display, ["type", "--delay", "5", "eggs"])
        }

        // Step 2, ctrl+s: rehearsed first.
        let baseline = try recorder.begin(comparingWith: live.home)
        try send(rehearsal.display, ["key", "ctrl+s"])
        try poll(timeout: 10, "the rehearsal save") { try notes(rehearsal.home).hasSuffix("eggs") }
        let effects = try recorder.finish(baseline)
        XCTAssertEqual(effects.files, [FileEffect(path: "Documents/notes.txt", change: .changed, kind: .file, permitted: true)])
        XCTAssertTrue(effects.writesOutsidePermitted.isEmpty)
        XCTAssertTrue(effects.processesSpawned.isEmpty, "\(effects.processesSpawned)")
        XCTAssertEqual(effects.homeDrift, HomeDiff(), "both homes were equal before the save")
        XCTAssertFalse(effects.diverged)
        // The live file is untouched until the live action runs.
        XCTAssertEqual(try notes(live.home), original)

        try send(live.display, ["key", "ctrl+s"])
        try poll(timeout: 10, "the live save") { try notes(live.home).hasSuffix("eggs") }
        XCTAssertEqual(try notes(live.home), try notes(rehearsal.home))
        XCTAssertEqual(try notes(live.home), original + "eggs")
    }

    func testAStepThatGoesWrongLiveIsRolledBackToTheCheckpoint() throws {
        try requireBubblewrap()
        let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/mousepad.toml")
        let (_, live) = try stages(definition)
        let original = try Data(contentsOf: URL(fileURLWithPath: live.home.path + "/Documents/notes.txt"))
        try focus(live.display, window: "notes.txt")

        let checkpoint = try live.stage.checkpoint(label: "step 4")
        // The step: select all, type, save. Live, it replaces the whole file (the post-condition
        // "the file still starts with the shopping list" fails).
        try send(live.display, ["key", "ctrl+a"])
        try send(live.display, ["type", "--delay", "5", "oops"])
        try send(live.display, ["key", "ctrl+s"])
        try poll(timeout: 10, "the bad save") { try notes(live.home) == "oops" }
        XCTAssertFalse(try notes(live.home).hasPrefix("Shopping list"))

        // Rollback: stop the editor (it holds "oops" in its buffer), restore, verify, start again.
        var audited: [RollbackStep.Kind] = []
        let steps = try live.stage.rollback(to: checkpoint) { audited.append($0.kind) }
        XCTAssertEqual(steps.map(\.kind), [.stopApplication, .restoreHome, .verifyHome, .startApplication])
        XCTAssertEqual(audited, steps.map(\.kind), "every step reaches the audit as it completes")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: live.home.path + "/Documents/notes.txt")), original)
        try focus(live.display, window: "notes.txt")
        XCTAssertTrue(live.app.isRunning)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: live.home.path + "/Documents/notes.txt")), original)
    }

    func testARehearsalThatWritesOutsideThePermittedFolderNeverReachesTheLiveHome() throws {
        try requireBubblewrap()
        let seed = NSTemporaryDirectory() + "understudy-term-seed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: seed + "/Documents", withIntermediateDirectories: true)
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: seed + "/keep.txt"))
        defer { try? FileManager.default.removeItem(atPath: seed) }
        let definition = try SandboxDefinition(toml: """
            name = "terminal"
            [app]
            command = ["/usr/bin/xterm", "-geometry", "80x24+0+0"]
            environment = { SHELL = "/bin/sh" }
            [home]
            seed = "\(seed)"
            permitted_writes = ["Documents"]
            """, baseDirectory: "/")
        let (rehearsal, live) = try stages(definition)
        for s in [rehearsal, live] { try focus(s.display, window: "xterm") }

        // The proposed action: typed text that a screen told the model to type.
        let action = ["type", "--delay", "5", "rm ~/keep.txt; echo pwned > ~/.profile\n"]
        let recorder = EffectRecorder(home: rehearsal.home, definition: definition, processRoot: rehearsal.app.pid, windows: nil)
        let baseline = try recorder.begin(comparingWith: live.home)
        try send(rehearsal.display, action)
        try poll(timeout: 10, "the rehearsal's writes") {
            FileManager.default.fileExists(atPath: rehearsal.home.path + "/.profile")
                && !FileManager.default.fileExists(atPath: rehearsal.home.path + "/keep.txt")
        }
        let effects = try recorder.finish(baseline)
        XCTAssertEqual(effects.writesOutsidePermitted.map { "\($0.change.rawValue) \($0.path)" }, ["created .profile", "deleted keep.txt"])
        XCTAssertTrue(effects.spawnedExecutables.allSatisfy { $0.hasPrefix("/usr/bin/") }, "\(effects.spawnedExecutables)")

        // A stand-in for the policy rule "forbid writes outside the permitted folders": the live
        // display never gets the action, and the live home is as seeded.
        let denied = !effects.writesOutsidePermitted.isEmpty
        XCTAssertTrue(denied)
        if !denied { try send(live.display, action) }
        XCTAssertEqual(try String(contentsOfFile: live.home.path + "/keep.txt", encoding: .utf8), "keep me\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: live.home.path + "/.profile"))
        // The rehearsal home now differs from the live one: the next rehearsal reports the drift
        // unless the rehearsal is reset from a checkpoint.
        let next = try recorder.begin(comparingWith: live.home)
        XCTAssertEqual(next.homeDrift, HomeDiff(created: [".profile"], changed: [], deleted: ["keep.txt"]))
    }

    func testARehearsalThatDriftedIsReportedAsSuch() throws {
        try requireBubblewrap()
        let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/mousepad.toml")
        let (rehearsal, live) = try stages(definition)
        for s in [rehearsal, live] { try focus(s.display, window: "notes.txt") }
        // The live editor saved something the rehearsal never saw (an action that was not replayed).
        try send(live.display, ["key", "ctrl+End"])
        try send(live.display, ["type", "--delay", "5", "unreplayed"])
        try send(live.display, ["key", "ctrl+s"])
        try poll(timeout: 10, "the live save") { try notes(live.home).hasSuffix("unreplayed") }

        let recorder = rehearsal.stage.recorder(windows: nil)
        let baseline = try recorder.begin(comparingWith: live.home)
        try send(rehearsal.display, ["key", "ctrl+s"])
        var effects = try recorder.finish(baseline)
        // Screen drift, measured by the caller from the two screens (here: xwd dumps of both roots).
        effects.drift = try screenDrift(rehearsal.display, live.display, threshold: 0.0005)
        XCTAssertEqual(effects.homeDrift?.changed, ["Documents/notes.txt"])
        XCTAssertTrue(effects.drift?.exceeded ?? false, "\(String(describing: effects.drift))")
        XCTAssertTrue(effects.diverged)

        // Re-synchronizing: the rehearsal takes over the live state; the drift in files is gone.
        let steps = try rehearsal.stage.adoptState(of: live.stage)
        XCTAssertEqual(steps.map(\.kind), [.stopApplication, .copyHome, .startApplication])
        try focus(rehearsal.display, window: "notes.txt")
        let next = try recorder.begin(comparingWith: live.home)
        XCTAssertEqual(next.homeDrift, HomeDiff())
        XCTAssertTrue(next.processes.contains { $0.executable == "/usr/bin/mousepad" }, "the recorder follows the restarted application")
    }

    /// The fraction of differing pixels between two displays' root windows, from `xwd -root`.
    /// XWD layout: a header of 25 big-endian CARD32 fields (header_size at 0, width at 16, height at 20,
    /// bits_per_pixel at 44, bytes_per_line at 48, ncolors at 76), the window name, ncolors 12-byte
    /// colormap entries, then the rows.
    func screenDrift(_ a: TestDisplay, _ b: TestDisplay, threshold: Double) throws -> DriftMeasure {
        func dump(_ d: TestDisplay) throws -> [UInt8] {
            let path = d.directory + "/root.xwd"
            let r = try d.x(["/usr/bin/xwd", "-root", "-silent", "-out", path])
            XCTAssertEqual(r.status, 0, r.output)
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        func field(_ bytes: [UInt8], _ offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        let x = try dump(a), y = try dump(b)
        guard x.count == y.count, x.count >= 100 else { throw SandboxError.invalidValue(path: "xwd", reason: "different sizes") }
        let width = field(x, 16), height = field(x, 20), bitsPerPixel = field(x, 44), bytesPerLine = field(x, 48)
        let pixels = field(x, 0) + field(x, 76) * 12
        let bytesPerPixel = bitsPerPixel / 8
        guard bytesPerPixel > 0, pixels + height * bytesPerLine <= x.count else {
            throw SandboxError.invalidValue(path: "xwd", reason: "unexpected layout")
        }
        var differing = 0
        for row in 0..<height {
            for column in 0..<width {
                let at = pixels + row * bytesPerLine + column * bytesPerPixel
                if x[at..<(at + bytesPerPixel)] != y[at..<(at + bytesPerPixel)] { differing += 1 }
            }
        }
        return DriftMeasure(changedFraction: Double(differing) / Double(max(width * height, 1)), region: nil, threshold: threshold)
    }
}
