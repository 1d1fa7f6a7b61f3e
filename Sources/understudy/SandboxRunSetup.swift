// `understudy run --sandbox D.toml`: the application of the definition runs in its sandbox on the
// agent's display (the live stage), and the same definition runs on a second, private Xvfb (the
// rehearsal stage). Each stage starts only after its isolation check against the other display
// passed; a failed check refuses the run (exit 2) with the failed probes named.

import Agent
import Desktop
import Foundation
import Sandbox

struct SandboxRun {
    let live: SandboxStage
    let rehearsal: SandboxRehearsal

    func stop() {
        rehearsal.stop()
        live.stop()
        try? live.home.discard()
    }
}

enum SandboxRunSetup {
    /// Starts both stages for `definitionPath` with the live one on `display` (named `:N`, with its
    /// cookie in `$XAUTHORITY`). Nothing is left running when this throws.
    static func start(definitionPath: String, display: X11Display) throws -> SandboxRun {
        try start(definition: try SandboxDefinition.load(contentsOf: definitionPath), display: display,
                  endpoint: try liveEndpoint(display.name))
    }

    /// Starts both stages for `definition` with the live one on `display`, which the sandbox reaches
    /// as `endpoint` (its number and cookie file). `understudy demo` passes the Xvfb it started.
    static func start(definition: SandboxDefinition, display: X11Display, endpoint: DisplayEndpoint) throws -> SandboxRun {
        let live = try SandboxStage(definition: definition, display: endpoint, role: .live)
        var rehearsal: SandboxRehearsal?
        do {
            let started = try SandboxRehearsal.launch(definition: definition, live: live,
                                                      liveScreen: DisplayScreen(display: display), otherDisplays: [endpoint])
            rehearsal = started
            try live.start(otherDisplays: [started.endpoint])
            let executable = definition.app.command[0]
            try StageWindow.waitAndPark(on: display, executable: executable)
            try StageWindow.waitAndPark(on: started.screen.display, executable: executable)
            return SandboxRun(live: live, rehearsal: started)
        } catch {
            rehearsal?.stop()
            live.stop()
            try? live.home.discard()
            throw error
        }
    }

    /// `:N` or `:N.S` and the cookie file the agent itself uses.
    static func liveEndpoint(_ name: String) throws -> DisplayEndpoint {
        guard name.hasPrefix(":"), let number = Int(name.dropFirst().split(separator: ".").first ?? "") else {
            throw AgentError.configuration("--sandbox needs a local display named :N, not \(name)")
        }
        guard let authority = ProcessInfo.processInfo.environment["XAUTHORITY"], !authority.isEmpty else {
            throw AgentError.configuration("--sandbox needs XAUTHORITY: the live sandbox is given that display's cookie file only")
        }
        return DisplayEndpoint(number: number, authorityFile: authority)
    }
}
