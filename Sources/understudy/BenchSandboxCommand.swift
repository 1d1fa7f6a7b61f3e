// `understudy bench sandbox`: what rehearsal costs per step, and where it goes. Starts a live Xvfb and
// the definition's application on it (live stage), the rehearsal stage on its own Xvfb, and then for
// each step: the live checkpoint (as before a live step), the rehearsal (drift capture and diff, effect
// baseline, replay, settle, effect scan, changed region), the same action on the live display (not
// timed: it is the step itself), then the comparison of the live outcome with the rehearsed one and
// the keeping-in-step check, as the loop does them.

import Actions
import Agent
import ArgumentParser
import Desktop
import Foundation
import Sandbox

struct BenchSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Measure the rehearsal overhead per step, by phase.",
        discussion: """
            Needs Xvfb and bubblewrap. The action alternates key Right / key Left (the caret moves, \
            nothing is written). Settling waits for the quiet period (--quiet-period) after the last \
            change, so it is a floor set by that setting, not by the machine. Summary on stderr; with \
            --json, a JSON object on stdout.
            """)

    @Option(help: "The sandbox definition.")
    var sandbox: String = "Sandboxes/mousepad.toml"

    @Option(help: "Steps measured.")
    var steps = 20

    @Option(name: .customLong("quiet-period"), help: "Seconds the rehearsal screen must stay unchanged to count as settled.")
    var quietPeriod = 0.25

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (2...1000).contains(steps) else { throw ValidationError("--steps must be within 2...1000") }
        guard quietPeriod >= 0.02 && quietPeriod <= 5 else { throw ValidationError("--quiet-period must be within 0.02...5") }
    }

    func run() async throws {
        let definition: SandboxDefinition
        do { definition = try SandboxDefinition.load(contentsOf: sandbox) } catch {
            StandardError.print("understudy: \(error)")
            throw ExitCode(2)
        }
        let server: XvfbServer
        let display: X11Display
        let live: SandboxStage
        let rehearsal: SandboxRehearsal
        let settle = SettlePolicy(pollInterval: 0.02, quietPeriod: quietPeriod, timeout: 5)
        do {
            server = try XvfbServer(width: definition.screen.width, height: definition.screen.height)
            display = try X11Display(server: server)
            let endpoint = DisplayEndpoint(number: server.displayNumber, authorityFile: server.authorityFile)
            live = try SandboxStage(definition: definition, display: endpoint, role: .live)
            rehearsal = try SandboxRehearsal.launch(definition: definition, live: live, liveScreen: DisplayScreen(display: display),
                                                    otherDisplays: [endpoint], settle: settle)
            try live.start(otherDisplays: [rehearsal.endpoint])
            try StageWindow.waitAndPark(on: display, executable: definition.app.command[0])
            try StageWindow.waitAndPark(on: rehearsal.screen.display, executable: definition.app.command[0])
        } catch {
            StandardError.print("understudy: cannot start the stages: \(error)")
            throw ExitCode(2)
        }
        defer {
            rehearsal.stop()
            live.stop()
            try? live.home.discard()
            try? server.stop()
        }
        let liveScreen = DisplayScreen(display: display)
        let guardian = RollbackController(rehearsal: rehearsal)
        let clock = SystemClock()
        _ = try await Settler(policy: settle, clock: clock).settle(liveScreen)
        _ = try await Settler(policy: settle, clock: clock).settle(rehearsal.screen)

        let context = ActionContext(screenWidth: definition.screen.width, screenHeight: definition.screen.height,
                                    target: nil, focused: nil, steps: 0, typedCharacters: 0, elapsedSeconds: 0)
        var samples: [String: [Double]] = [:]
        var diverged = 0, rolledBack = 0
        do {
            for i in 0..<steps {
                let action = Action.key(try KeyChord(parsing: i % 2 == 0 ? "Right" : "Left"))
                var start = clock.now()
                let plan = try guardian.prepare(action)
                samples["checkpoint", default: []].append(clock.now() - start)
                start = clock.now()
                let report = try await rehearsal.rehearse(action, context: context)
                samples["total (rehearsal)", default: []].append(clock.now() - start)
                for (phase, seconds) in rehearsal.lastPhases { samples[phase, default: []].append(seconds) }
                if report.diverged { diverged += 1 }
                _ = try liveScreen.perform(action)
                _ = try await Settler(policy: settle, clock: clock).settle(liveScreen)
                start = clock.now()
                // No policy here, so no compensation input is permitted: a divergence restores the checkpoint.
                let outcome = try await guardian.verify(action, plan: plan, rehearsal: report, input: liveScreen, authorize: { _ in
                    Authorization(verdict: .deny, ruleIDs: [], reason: "the benchmark has no policy to permit a compensation")
                }, onStep: { _ in })
                samples["verify after live", default: []].append(clock.now() - start)
                if case .rolledBack = outcome { rolledBack += 1 }
                start = clock.now()
                _ = try await rehearsal.keepInStep(executed: true)
                samples["keep in step", default: []].append(clock.now() - start)
            }
        } catch {
            StandardError.print("understudy: a step failed: \(error)")
            throw ExitCode(1)
        }

        let order = ["drift", "effects.begin", "replay", "settle", "effects.finish", "region", "total (rehearsal)",
                     "checkpoint", "verify after live", "keep in step"]
        func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        StandardError.print("rehearsal overhead per step: \(definition.name), \(definition.screen.width)x\(definition.screen.height), "
                            + "\(steps) steps, quiet period \(quietPeriod) s, \(diverged) diverged, \(rolledBack) rolled back")
        StandardError.print("phase               median ms   mean ms     max ms")
        for phase in order {
            let xs = samples[phase] ?? []
            StandardError.print(phase.padding(toLength: 18, withPad: " ", startingAt: 0)
                                + String(format: " %9.1f %9.1f %10.1f", median(xs) * 1000, mean(xs) * 1000, (xs.max() ?? 0) * 1000))
        }
        if json {
            var out: [String: Any] = ["definition": definition.name, "steps": steps, "quiet_period_s": quietPeriod, "diverged": diverged,
                                      "rolled_back": rolledBack]
            for phase in order {
                let xs = samples[phase] ?? []
                out[phase] = ["median_ms": median(xs) * 1000, "mean_ms": mean(xs) * 1000, "max_ms": (xs.max() ?? 0) * 1000]
            }
            try JSONOutput.print(out)
        }
    }
}
