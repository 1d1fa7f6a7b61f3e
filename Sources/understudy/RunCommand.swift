import Agent
import ArgumentParser
import Audit
import Desktop
import Foundation
import Logging
import Policy
import StrictJSON
import Sandbox

/// `understudy run`: one task on an existing display, under a policy, with a model, into an audited
/// run directory. Exit codes: Sources/Agent/README.md (0 success … 8); 2 for usage or set-up errors.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Carry out a task on a display: observe, propose, authorize, approve, execute, audit.",
        discussion: """
            Exit codes: 0 success (terminate success or answer), 1 the model gave up, 2 usage or set-up \
            error, 3 a budget ran out, 4 too many refusals in a row, 5 audit failure, 6 model failure, \
            7 desktop failure, 8 policy/approval/rehearsal failure, 9 a rollback failed.
            """)

    @Option(help: "What to do, in words.")
    var task: String

    @Option(help: "The policy file (TOML). Default: Policies/default.toml (observation only).")
    var policy: String?

    @Option(help: "A sandbox definition: its application runs sandboxed on the display (live) and on a private rehearsal display; each action is rehearsed first, and a live step that diverges is rolled back. The live home and the application's stdout/stderr are kept in RUN_DIR/sandbox/.")
    var sandbox: String?

    @Option(help: "replay:F.jsonl, openai:URL[#model], or a Hugging Face Qwen3-VL directory (the native engine; .gguf is refused).")
    var model: String

    @Option(help: "The X display to drive (default $DISPLAY). Its XAUTHORITY must be set.")
    var display: String?

    @Option(name: .customLong("run-dir"), help: "Where the audit log and blobs go (default runs/<time>).")
    var runDir: String?

    @Option(name: .customLong("max-steps"), help: "At most this many steps (never more than the policy allows).")
    var maxSteps: Int?

    @Option(help: "Who answers `ask` decisions: auto (ask means deny), tty, or socket.")
    var approve: ApproveMode = .auto

    @Option(name: .customLong("approve-socket"), help: "The unix socket for --approve socket (default RUN_DIR/approve.sock).")
    var approveSocket: String?

    @Option(name: .customLong("pixel-budget"), help: "The most screenshot pixels sent to the model.")
    var pixelBudget: Int = 1280 * 800

    @Option(help: "The audit signing key (default ~/.config/understudy/audit-key; created if missing).")
    var key: String?

    @Flag(name: .customLong("review-results"),
          help: "With --sandbox and --approve tty|socket: show the approver the screen after each live step; a rejection rolls the step back.")
    var reviewResults = false

    @Flag(help: "Debug logging on stderr.")
    var verbose = false

    func validate() throws {
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
        if pixelBudget < 64 * 64 { throw ValidationError("--pixel-budget must be at least 4096") }
        if reviewResults && sandbox == nil { throw ValidationError("--review-results needs --sandbox (a rejected result is rolled back there)") }
        if reviewResults && approve == .auto { throw ValidationError("--review-results needs a person to answer: --approve tty or socket") }
    }

    func run() async throws {
        CLILogging.bootstrap(verbose: verbose)
        let logger = Logger(label: "understudy.run")
        var setup: AgentSession
        let x11: X11Display
        var definition: (SandboxDefinition, DisplayEndpoint)?
        do {
            let policy = try RunSetup.loadPolicy(self.policy)
            configureThreads()  // the native engine's BLAS threads, as the model commands set them
            let planner = try PlannerSpec.planner(for: model, pixelBudget: pixelBudget)
            x11 = try X11Display(name: display)
            if let sandbox {
                definition = (try SandboxDefinition.load(contentsOf: sandbox), try SandboxRunSetup.liveEndpoint(x11.name))
            }
            let runDirectory = RunSetup.runDirectory(runDir)
            let approver = try RunSetup.approver(approve, socket: approveSocket, runDirectory: runDirectory)
            setup = AgentSession(task: task, policy: policy, planner: planner, display: x11, runDirectory: runDirectory,
                                 signingKey: try RunSetup.signingKey(key), approver: approver, maxSteps: maxSteps,
                                 modelPixelBudget: pixelBudget, sandboxHash: try RunSetup.sandboxHash(sandbox))
            setup.settle = SettlePolicy()
            setup.reviewResults = reviewResults
        } catch {
            RunSetup.fail("\(error)")
        }
        // The audit log exists before the sandbox starts: the isolation checks, or the refusal, are in it.
        let audit: AuditLogSink
        do { audit = try setup.openAudit() } catch { RunSetup.fail("\(error)") }
        var sandboxRun: SandboxRun?
        if let definition {
            // Sandbox: live and rehearsal stages, each after its isolation check (a failure refuses the run).
            let started = SandboxRunSetup.startAudited(definition: definition.0, display: x11, endpoint: definition.1,
                                                       session: &setup, audit: audit)
            sandboxRun = started
            setup.rehearsal = started.rehearsal
            setup.stepGuard = RollbackController(rehearsal: started.rehearsal)
        }
        let result: SessionResult
        do { result = try await setup.run(audit: audit, logger: logger) } catch {
            _ = sandboxRun?.stop(keepingIn: setup.runDirectory)
            RunSetup.fail("\(error)")
        }
        let kept = sandboxRun?.stop(keepingIn: setup.runDirectory) ?? [:]
        RunSetup.report(result, runDirectory: setup.runDirectory, extra: kept)
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

enum ApproveMode: String, ExpressibleByArgument, CaseIterable {
    case auto, tty, socket
}

/// Set-up shared by `run` and `demo`.
enum RunSetup {
    static func loadPolicy(_ path: String?) throws -> Policy {
        if let path { return try Policy.load(path: path) }
        guard let found = DemoScenario.locate("Policies/default.toml") else {
            throw AgentError.configuration("no --policy given and Policies/default.toml not found; the agent does not start without a policy")
        }
        return try Policy.load(path: found)
    }

    static func runDirectory(_ path: String?) -> URL {
        if let path { return URL(fileURLWithPath: path) }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return URL(fileURLWithPath: "runs").appendingPathComponent("\(stamp)-\(getpid())")
    }

    static func signingKey(_ path: String?) throws -> AuditSigningKey {
        if let path { return try AuditSigningKey.loadOrCreate(at: URL(fileURLWithPath: path)) }
        return try AuditSigningKey.loadOrCreate()
    }

    static func sandboxHash(_ path: String?) throws -> String {
        guard let path else { return "none" }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentError.configuration("cannot read sandbox definition \(path)")
        }
        return AuditDigest.hex(data)
    }

    static func approver(_ mode: ApproveMode, socket: String?, runDirectory: URL) throws -> Approver {
        switch mode {
        case .auto: return AutoApprover()
        case .tty: return try TTYApprover()
        case .socket:
            try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
            let path = socket ?? runDirectory.appendingPathComponent("approve.sock").path
            let approver = try SocketApprover(path: path)
            FileHandle.standardError.write(Data("understudy: approvals on \(path)\n".utf8))
            return approver
        }
    }

    /// The summary on stderr, one JSON line on stdout.
    static func report(_ result: SessionResult, runDirectory: URL, extra: [String: String]) {
        FileHandle.standardError.write(Data((result.summary(runDirectory: runDirectory.path) + "\n").utf8))
        var fields: [(String, String)] = [
            ("status", result.outcome.status), ("exit_code", String(result.exitCode)), ("steps", String(result.steps)),
            ("executed", String(result.executed)), ("model", result.model), ("run_dir", runDirectory.path),
        ]
        if case .answered(let text) = result.outcome { fields.append(("answer", text)) }
        fields += extra.sorted { $0.key < $1.key }
        print(json(fields))
    }

    /// The run's JSON line: members in the given order; the counts as integers.
    static func json(_ fields: [(String, String)]) -> String {
        JSONValue.object(fields.map { key, value in
            let isNumber = Int(value) != nil && (key == "exit_code" || key == "steps" || key == "executed")
            return (key: key, value: isNumber ? .number(value) : .string(value))
        }).serialized
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("understudy: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
