import Agent
import ArgumentParser
import Audit
import Desktop
import Foundation
import Logging
import Policy

/// `understudy demo`: the main job on embedded defaults. Starts its own Xvfb, opens a real zenity
/// dialog, and has the agent fill it in under the zenity policy, with the shipped replay transcript
/// unless `--model` names a model. Success means the application printed what the task asked for
/// and the audit trail verifies.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo task on a private Xvfb: fill a zenity dialog; exit 0 on success.")

    @Option(name: .customLong("run-dir"), help: "Where the audit log and blobs go (default runs/<time>).")
    var runDir: String?

    @Option(help: "A model instead of the shipped transcript: replay:F.jsonl, openai:URL[#model], ….")
    var model: String?

    @Option(help: "Which stage: \(DemoScenario.all.map(\.name).joined(separator: ", ")).")
    var scenario: String = DemoScenario.zenityEntry.name

    @Option(help: "The audit signing key (default ~/.config/understudy/audit-key; created if missing).")
    var key: String?

    @Flag(help: "Debug logging on stderr.")
    var verbose = false

    func run() async throws {
        CLILogging.bootstrap(verbose: verbose)
        let logger = Logger(label: "understudy.demo")
        guard let scenario = DemoScenario.all.first(where: { $0.name == self.scenario }) else {
            RunSetup.fail("unknown scenario \(self.scenario) (known: \(DemoScenario.all.map(\.name).joined(separator: ", ")))")
        }
        func say(_ line: String) { FileHandle.standardError.write(Data("demo: \(line)\n".utf8)) }

        guard let policyPath = DemoScenario.locate(scenario.policyPath) else {
            RunSetup.fail("cannot find \(scenario.policyPath) (run from the repository)")
        }
        let planner: Planner
        let modelDescription: String
        do {
            if let model {
                planner = try PlannerSpec.planner(for: model)
                modelDescription = "the model \(model)"
            } else {
                guard let transcript = DemoScenario.locate(scenario.transcriptPath) else {
                    RunSetup.fail("cannot find \(scenario.transcriptPath) (run from the repository)")
                }
                planner = try ReplayPlanner(path: transcript)
                modelDescription = "the shipped replay transcript \(scenario.transcriptPath) (no --model given)"
            }
        } catch { RunSetup.fail("\(error)") }
        say("model: \(modelDescription)")
        say("task: \(scenario.task)")

        let server: XvfbServer
        let display: X11Display
        let app: StagedApplication
        do {
            server = try XvfbServer(width: scenario.screenWidth, height: scenario.screenHeight)
            display = try X11Display(server: server)
            say("private Xvfb on \(server.displayName), \(scenario.screenWidth)x\(scenario.screenHeight)")
            app = try StagedApplication(executable: scenario.executable, arguments: scenario.arguments,
                                        environment: server.environment)
            let window = try app.waitForWindow(titled: scenario.windowTitle, on: display)
            try app.focus(window, on: display)
            say("application: \(scenario.executable) window \"\(scenario.windowTitle)\" at \(window.frame)")
            _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(DisplayScreen(display: display))
        } catch { RunSetup.fail("cannot set up the stage: \(error)") }
        defer {
            app.stop()
            display.close()
            try? server.stop()
        }

        let runDirectory = RunSetup.runDirectory(runDir)
        let result: SessionResult
        do {
            let session = AgentSession(task: scenario.task, policy: try Policy.load(path: policyPath), planner: planner,
                                       display: display, runDirectory: runDirectory, signingKey: try RunSetup.signingKey(key))
            result = try await session.run(logger: logger)
        } catch { RunSetup.fail("\(error)") }

        // After a successful session the application is on its way out; otherwise it may never exit.
        let finished = app.finish(timeout: result.exitCode == 0 ? 5 : 0.5)
        let output = finished?.output.trimmingCharacters(in: .newlines) ?? "(the application is still running)"
        let verification = AuditVerifier.verify(runDirectory: runDirectory)
        let done = result.exitCode == 0 && finished?.status == 0 && output == scenario.expectedOutput
        RunSetup.report(result, runDirectory: runDirectory, extra: [
            "demo": scenario.name, "app_output": output, "expected_output": scenario.expectedOutput,
            "audit_intact": verification.isIntact ? "true" : "false", "task_done": done ? "true" : "false",
        ])
        say("used \(modelDescription)")
        say("\(scenario.executable) printed \"\(output)\"; expected \"\(scenario.expectedOutput)\"")
        say("audit verify: \(verification.isIntact ? "intact" : "FAILED \(verification.problem?.description ?? "")")")
        say(done && verification.isIntact ? "success" : "FAILED")
        if !(done && verification.isIntact) { throw ExitCode(result.exitCode != 0 ? result.exitCode : 1) }
    }
}
