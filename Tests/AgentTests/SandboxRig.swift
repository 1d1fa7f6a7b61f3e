// A sandbox definition staged as `understudy run --sandbox` stages it, for the loop's tests: the live
// stage on its own Xvfb and the rehearsal stage on another, each under bubblewrap and started only
// after its isolation check against the other display passed, both applications waited for and the
// pointer parked over their window (no window manager: keys go to the window under the pointer).

import Foundation
import XCTest
@testable import Agent
import Desktop
import Sandbox

struct SandboxRig {
    let server: XvfbServer
    let display: X11Display
    let live: SandboxStage
    let rehearsal: SandboxRehearsal
    /// Both isolation checks as the session's preamble, rehearsal first, as the command line records them.
    let isolation: [AuditEvent]
}

struct NoWindow: Error, CustomStringConvertible {
    var title: String
    var description: String { "no window titled \(title) within 20 s" }
}

extension XCTestCase {
    func requireExecutables(_ paths: [String]) throws {
        for path in paths where !FileManager.default.isExecutableFile(atPath: path) {
            throw XCTSkip("\(path) is not installed")
        }
    }

    func sandboxRig(_ definition: SandboxDefinition, window title: String) async throws -> SandboxRig {
        try requireExecutables(["/usr/bin/Xvfb", "/usr/bin/bwrap", definition.app.command[0]])
        let server = try XvfbServer(width: definition.screen.width, height: definition.screen.height)
        addTeardownBlock { try? server.stop() }
        let display = try X11Display(server: server)
        let endpoint = DisplayEndpoint(number: server.displayNumber, authorityFile: server.authorityFile)
        let live = try SandboxStage(definition: definition, display: endpoint, role: .live)
        addTeardownBlock { live.stop(); try? live.home.discard() }
        let rehearsal = try SandboxRehearsal.launch(definition: definition, live: live, liveScreen: DisplayScreen(display: display),
                                                    otherDisplays: [endpoint])
        addTeardownBlock { rehearsal.stop() }
        let liveCheck = try live.start(otherDisplays: [rehearsal.endpoint])
        XCTAssertTrue(liveCheck.passed)
        let rehearsalCheck = try XCTUnwrap(rehearsal.stage.isolation)
        XCTAssertTrue(rehearsalCheck.passed)
        for d in [display, rehearsal.screen.display] {
            try parkPointer(on: d, over: title)
            _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: d))
        }
        let started = "every probe passed; the application started"
        return SandboxRig(server: server, display: display, live: live, rehearsal: rehearsal, isolation: [
            .isolation(stage: "rehearsal", display: rehearsal.endpoint.name, probes: rehearsalCheck.probes, started: true, detail: started),
            .isolation(stage: "live", display: endpoint.name, probes: liveCheck.probes, started: true, detail: started),
        ])
    }

    func parkPointer(on display: Display, over title: String) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let w = try display.windows().first(where: { ($0.title ?? "").contains(title) }) {
                try display.movePointer(to: ScreenPoint(x: w.frame.x + w.frame.width / 2, y: w.frame.y + w.frame.height / 2))
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("no window titled \(title)")
        throw NoWindow(title: title)
    }
}
