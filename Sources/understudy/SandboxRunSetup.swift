// `understudy run --sandbox D.toml`: the application of the definition runs in its sandbox on the
// agent's display (the live stage), and the same definition runs on a second, private Xvfb (the
// rehearsal stage). Each stage starts only after its isolation check against the other display
// passed; a failed check refuses the run (exit 2) with the failed probes named. Every check that ran
// is returned as an `isolation` audit event (with the run, or with the failure), so the session's
// trail holds it before any action — or holds the refusal.

import Agent
import Desktop
import Foundation
import Sandbox

struct SandboxRun {
    let live: SandboxStage
    let rehearsal: SandboxRehearsal
    /// The stages' isolation checks as audit events, rehearsal first (it starts first).
    let isolation: [AuditEvent]

    func stop() {
        rehearsal.stop()
        live.stop()
        try? live.home.discard()
    }

    /// Stops both stages and keeps what the live application left — its home (the task's files) and its
    /// stdout/stderr — under `RUN_DIR/sandbox/` (`home`, `<name>.stdout`, `<name>.stderr`), then discards
    /// the stage's own copy. Returns the kept paths for the run's report; when copying fails, the stage's
    /// folder is left in place and its path reported instead.
    func stop(keepingIn runDirectory: URL) -> [String: String] {
        rehearsal.stop()
        live.stop()
        let kept = runDirectory.appendingPathComponent("sandbox")
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: kept, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let home = kept.appendingPathComponent("home").path
            try fm.copyItem(atPath: live.home.path, toPath: home)
            var paths = ["sandbox_home": home]
            for (key, file) in [("app_stdout", live.app.stdoutFile), ("app_stderr", live.app.stderrFile)] where fm.fileExists(atPath: file) {
                let copy = kept.appendingPathComponent((file as NSString).lastPathComponent).path
                try fm.copyItem(atPath: file, toPath: copy)
                paths[key] = copy
            }
            try? live.home.discard()
            return paths
        } catch {
            StandardError.print("understudy: could not copy the sandbox's home into \(kept.path) (\(error)); it is left at \(live.home.root)")
            return ["sandbox_home": live.home.path, "app_stdout": live.app.stdoutFile, "app_stderr": live.app.stderrFile]
        }
    }
}

/// The sandbox did not start; `isolation` holds the checks that ran (the last one refused, or the
/// set-up failed after they passed), each with `started: false` and the reason.
struct SandboxSetupFailure: Error, CustomStringConvertible {
    var isolation: [AuditEvent]
    var underlying: Error
    var description: String { "\(underlying)" }
    /// The session_end status of the refused session: `isolation_failed` when a stage has no passed
    /// check (a probe failed, or the check could not finish), `setup_failed` when every check passed.
    var status: String {
        let failedCheck = isolation.contains {
            if case .isolation(_, _, let probes, _, _) = $0 { return probes.isEmpty || !probes.allSatisfy(\.passed) }
            return false
        }
        return failedCheck ? "isolation_failed" : "setup_failed"
    }
}

enum SandboxRunSetup {
    /// Starts both stages for `definition` with the live one on `display`, which the sandbox reaches
    /// as `endpoint` (its number and cookie file; `liveEndpoint` for `run`, the Xvfb it started for
    /// `demo`). Nothing is left running when this throws `SandboxSetupFailure`.
    static func start(definition: SandboxDefinition, display: X11Display, endpoint: DisplayEndpoint) throws -> SandboxRun {
        var checks: [(stage: String, display: String, probes: [IsolationProbe])] = []
        func events(started: Bool, detail: String) -> [AuditEvent] {
            checks.map { .isolation(stage: $0.stage, display: $0.display, probes: $0.probes, started: started, detail: detail) }
        }
        let live: SandboxStage
        do { live = try SandboxStage(definition: definition, display: endpoint, role: .live) } catch {
            throw SandboxSetupFailure(isolation: [], underlying: error)
        }
        var rehearsal: SandboxRehearsal?
        do {
            let started = try SandboxRehearsal.launch(definition: definition, live: live,
                                                      liveScreen: DisplayScreen(display: display), otherDisplays: [endpoint],
                                                      onIsolation: { checks.append(("rehearsal", $0.name, $1.probes)) })
            rehearsal = started
            do { try live.start(otherDisplays: [started.endpoint]) } catch {
                // The check's report; none when the check could not finish, which refuses the run as a
                // failed probe does. With a passed report the application itself failed to start.
                checks.append(("live", endpoint.name, live.isolation?.probes ?? []))
                throw error
            }
            if let report = live.isolation { checks.append(("live", endpoint.name, report.probes)) }
            let executable = definition.app.command[0]
            try StageWindow.waitAndPark(on: display, executable: executable)
            try StageWindow.waitAndPark(on: started.screen.display, executable: executable)
            return SandboxRun(live: live, rehearsal: started,
                              isolation: events(started: true, detail: "every probe passed; the application started"))
        } catch {
            if !checks.contains(where: { $0.stage == "rehearsal" }) {
                // The rehearsal stage did not get as far as a finished check (its Xvfb, home or probes failed).
                checks.append(("rehearsal", "(not started)", []))
            }
            rehearsal?.stop()
            live.stop()
            try? live.home.discard()
            throw SandboxSetupFailure(isolation: events(started: false, detail: "the run was refused: \(error)"), underlying: error)
        }
    }

    /// `start`, with the outcome in the session's audit trail: the isolation checks become the
    /// session's preamble (written after session_start, before any step); a refusal ends the session
    /// in the trail (status `isolation_failed` or `setup_failed`) and the command (exit 2).
    static func startAudited(definition: SandboxDefinition, display: X11Display, endpoint: DisplayEndpoint,
                             session: inout AgentSession, audit: AuditLogSink, cleanUp: () -> Void = {}) -> SandboxRun {
        do {
            let started = try start(definition: definition, display: display, endpoint: endpoint)
            session.preamble = started.isolation
            return started
        } catch {
            let failure = error as? SandboxSetupFailure
            session.preamble = failure?.isolation ?? []
            var message = "\(error)"
            do { try session.refuse(audit: audit, status: failure?.status ?? "setup_failed") } catch {
                message += " (and the refusal could not be audited: \(error))"
            }
            cleanUp()
            RunSetup.fail(message + "; the refusal is in \(session.runDirectory.path)")
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
