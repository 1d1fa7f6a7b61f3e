import Agent
import ArgumentParser
import Audit
import Desktop
import Foundation
import Logging
import Policy
import Sandbox
import StrictJSON

/// `understudy demo`: the main job on embedded defaults. Starts its own Xvfb, runs the scenario's
/// sandbox definition (Sandboxes/demo-*.toml) under bubblewrap on it and on a private rehearsal
/// display, each after its isolation check, and has the agent fill the real zenity dialog in under
/// the zenity policy, every step rehearsed first and compared afterwards, with the shipped replay
/// transcript unless `--model` names a model. Success means the application printed what the task
/// asked for (read from the live sandbox's stdout log), every executed step was rehearsed and matched
/// its rehearsal, and the audit trail verifies.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo task on a private Xvfb: fill a sandboxed zenity dialog, every step rehearsed; exit 0 on success.")

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
        guard let sandboxPath = DemoScenario.locate(scenario.sandboxPath) else {
            RunSetup.fail("cannot find \(scenario.sandboxPath) (run from the repository)")
        }
        let definition: SandboxDefinition
        let sandboxHash: String
        let planner: Planner
        let modelDescription: String
        do {
            definition = try SandboxDefinition.load(contentsOf: sandboxPath)
            sandboxHash = try RunSetup.sandboxHash(sandboxPath)
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

        // The live display is ours; the sandbox definition's application runs on it and on a private
        // rehearsal display, each started only after its isolation check passed.
        let server: XvfbServer
        let display: X11Display
        let stages: SandboxRun
        do {
            server = try XvfbServer(width: definition.screen.width, height: definition.screen.height,
                                    depth: definition.screen.depth == 16 ? 16 : 24)
            display = try X11Display(server: server)
        } catch { RunSetup.fail("cannot set up the stage: \(error)") }
        say("private Xvfb on \(server.displayName), \(definition.screen.width)x\(definition.screen.height)")
        // The session and its audit log come first: the stages' isolation checks (or the refusal) are
        // its first records after session_start.
        let runDirectory = RunSetup.runDirectory(runDir)
        var session: AgentSession
        let audit: AuditLogSink
        do {
            session = AgentSession(task: scenario.task, policy: try Policy.load(path: policyPath), planner: planner,
                                   display: display, runDirectory: runDirectory, signingKey: try RunSetup.signingKey(key),
                                   sandboxHash: sandboxHash)
            audit = try session.openAudit()
        } catch {
            display.close()
            try? server.stop()
            RunSetup.fail("\(error)")
        }
        let endpoint = DisplayEndpoint(number: server.displayNumber, authorityFile: server.authorityFile)
        stages = SandboxRunSetup.startAudited(definition: definition, display: display, endpoint: endpoint,
                                              session: &session, audit: audit,
                                              cleanUp: { display.close(); try? server.stop() })
        defer {
            stages.stop()
            display.close()
            try? server.stop()
        }
        let isolation = DemoCommand.isolationWords(live: stages.live.isolation, rehearsal: stages.rehearsal.stage.isolation)
        say("sandbox \(scenario.sandboxPath): \(definition.app.command.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")) under bubblewrap, live on "
            + "\(server.displayName) and rehearsal on \(stages.rehearsal.endpoint.name); isolation checks \(isolation.words)")
        do {
            // Let both windows finish drawing before the first observation and the first drift measure.
            for screen in [DisplayScreen(display: display), stages.rehearsal.screen] {
                _ = try await Settler(policy: SettlePolicy(), clock: SystemClock()).settle(screen)
            }
        } catch {
            try? session.refuse(audit: audit, status: "setup_failed")
            stages.stop(); display.close(); try? server.stop()
            RunSetup.fail("cannot set up the stage: \(error)")
        }

        let result: SessionResult
        do {
            session.rehearsal = stages.rehearsal
            session.stepGuard = RollbackController(rehearsal: stages.rehearsal)
            result = try await session.run(audit: audit, logger: logger)
        } catch {
            stages.stop(); display.close(); try? server.stop()
            RunSetup.fail("\(error)")
        }

        // After a successful session the application is on its way out; otherwise it may never exit.
        // Its stdout is the live sandbox's log file (read before the stage and its home are discarded).
        let app = stages.live.app
        let ended = try? app.waitForExit(timeout: result.exitCode == 0 ? 5 : 0.5)
        let exited = ended.map { $0.reason == .exited && $0.status == 0 } ?? false
        let output = ended == nil ? "(the application is still running)" : app.standardOutput.trimmingCharacters(in: .newlines)
        let verification = AuditVerifier.verify(runDirectory: runDirectory)
        let rehearsed = DemoCommand.rehearsalCheck(runDirectory: runDirectory)
        let done = result.exitCode == 0 && exited && output == scenario.expectedOutput
        let ok = done && verification.isIntact && isolation.passed && rehearsed.passed
        // The run for a person: RUN_DIR/report.html (a failure to write it is said, not fatal).
        var reportPath = "(not written)"
        do { reportPath = try ReportCommand.write(runDirectory: runDirectory).path } catch {
            say("the report could not be written: \(error)")
        }
        RunSetup.report(result, runDirectory: runDirectory, extra: [
            "report": reportPath,
            "demo": scenario.name, "app_output": output, "expected_output": scenario.expectedOutput,
            "app_output_source": app.stdoutFile, "sandbox": scenario.sandboxPath,
            "isolation": isolation.words, "rehearsed_steps": rehearsed.words,
            "audit_intact": verification.isIntact ? "true" : "false", "task_done": done ? "true" : "false",
        ])
        say("used \(modelDescription)")
        say("\(definition.app.command[0]) printed \"\(output)\" (the live sandbox's stdout log); expected \"\(scenario.expectedOutput)\"")
        say("rehearsal: \(rehearsed.words)")
        say("audit verify: \(verification.isIntact ? "intact" : "FAILED \(verification.problem?.description ?? "")")")
        say(ok ? "success" : "FAILED")
        if !ok { throw ExitCode(result.exitCode != 0 ? result.exitCode : 1) }
    }

    /// Both stages' isolation checks (each stage started only after its own passed).
    static func isolationWords(live: IsolationReport?, rehearsal: IsolationReport?) -> (passed: Bool, words: String) {
        func words(_ name: String, _ report: IsolationReport?) -> String {
            guard let report else { return "\(name) not run" }
            let passed = report.probes.filter(\.passed).count
            return "\(name) \(report.passed ? "passed" : "FAILED") (\(passed)/\(report.probes.count) probes)"
        }
        let passed = (live?.passed ?? false) && (rehearsal?.passed ?? false)
        return (passed, words("live", live) + ", " + words("rehearsal", rehearsal))
    }

    /// From the audit log: every executed step must have a rehearsal record that really rehearsed it
    /// (`rehearsed: …`, not the pass-through's `not rehearsed` nor `rehearsed, DIVERGED`) and a
    /// verification record `matched` (the live outcome equalled the rehearsed one).
    static func rehearsalCheck(runDirectory: URL) -> (passed: Bool, words: String) {
        let path = runDirectory.appendingPathComponent(AuditLog.fileName).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return (false, "no audit log to check") }
        var executed: [JSONValue] = []
        var rehearsed = Set<JSONValue>()
        var matched = Set<JSONValue>()
        for line in text.split(separator: "\n") {
            guard let record = try? JSONValue.parse(String(line)), let data = record["data"], let step = data["step"] else { continue }
            switch record["type"]?.stringValue {
            case "execution": executed.append(step)
            case "rehearsal" where data["report"]?.stringValue?.hasPrefix("rehearsed:") == true: rehearsed.insert(step)
            case "verification" where data["outcome"]?.stringValue == "matched": matched.insert(step)
            default: break
            }
        }
        let unrehearsed = executed.filter { !rehearsed.contains($0) }
        let unmatched = executed.filter { !matched.contains($0) }
        var words = "\(executed.count - unrehearsed.count)/\(executed.count) executed steps rehearsed, "
            + "\(executed.count - unmatched.count)/\(executed.count) matched their rehearsal"
        if !unrehearsed.isEmpty { words += "; not rehearsed: steps \(unrehearsed.map(\.serialized).joined(separator: ", "))" }
        if !unmatched.isEmpty { words += "; not matched: steps \(unmatched.map(\.serialized).joined(separator: ", "))" }
        return (unrehearsed.isEmpty && unmatched.isEmpty, words)
    }
}
