// One stage of a session: a sandbox definition running on one display with its own home — the live
// stage or the rehearsal stage. A stage starts only after the isolation check passed for exactly its
// sandbox, and knows how to roll its state back to a checkpoint or take over the other stage's state.
// Each rollback step is returned as data for the audit trail.

import Foundation

public struct RollbackStep: Equatable, Sendable, Codable {
    public enum Kind: String, Equatable, Sendable, Codable {
        case stopApplication = "stop-application"
        case restoreHome = "restore-home"
        case verifyHome = "verify-home"
        case copyHome = "copy-home"
        case startApplication = "start-application"
    }
    public var kind: Kind
    public var detail: String
    public var seconds: Double
}

public final class SandboxStage {
    public enum Role: String, Equatable, Sendable, Codable { case live, rehearsal }

    public let role: Role
    public let definition: SandboxDefinition
    public let display: DisplayEndpoint
    public let home: SandboxHome
    public let app: SandboxedApp
    /// The report of the check that allowed the last start.
    public private(set) var isolation: IsolationReport?

    /// Makes the stage's home from the definition's seed; nothing runs yet.
    public init(definition: SandboxDefinition, display: DisplayEndpoint, role: Role, base: String? = nil) throws {
        self.role = role
        self.definition = definition
        self.display = display
        home = try SandboxHome(seed: definition.home.seed, name: "\(definition.name)-\(role.rawValue)", base: base)
        app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: display, homePath: home.path),
                               logDirectory: home.root + "/logs")
    }

    /// Runs the isolation check against `otherDisplays` and starts the application only when it
    /// passed; otherwise throws `isolationViolated` and nothing is started.
    @discardableResult
    public func start(otherDisplays: [DisplayEndpoint]) throws -> IsolationReport {
        let report = try IsolationCheck(command: app.command, otherDisplays: otherDisplays).run()
        isolation = report
        try report.requirePassed()
        try app.start()
        return report
    }

    public func stop() { app.stop(gracePeriod: 3) }

    /// A recorder of this stage's effects (used on the rehearsal stage).
    public func recorder(windows: WindowLister?) -> EffectRecorder {
        EffectRecorder(home: home, definition: definition, app: app, windows: windows)
    }

    /// One post-condition after a live step.
    public struct PostconditionResult: Equatable, Sendable {
        public var name: String
        public var holds: Bool
        public var detail: String
    }

    /// Evaluates the definition's `[postconditions]`. `before` is the home as it was before the step
    /// (needed for `writes_permitted`; without it that check fails, saying why). The check program
    /// runs in this stage's sandbox (same definition and display, this home), never on the host.
    public func checkPostconditions(homeBefore before: HomeSnapshot?) throws -> [PostconditionResult] {
        let p = definition.postconditions
        var results: [PostconditionResult] = []
        if p.appRunning {
            let running = app.isRunning
            results.append(PostconditionResult(name: "app_running", holds: running,
                                               detail: running ? "\(definition.name) is running" : "\(definition.name) is not running"))
        }
        if p.writesPermitted {
            if let before {
                let diff = HomeDiff.between(before, try home.snapshot(reusing: before))
                let outside = diff.all.filter { !definition.permitsWrite(to: $0) }
                results.append(PostconditionResult(
                    name: "writes_permitted", holds: outside.isEmpty,
                    detail: outside.isEmpty ? "\(diff.all.count) path(s) changed, all in \(definition.home.permittedWrites)"
                        : "changed outside \(definition.home.permittedWrites): \(outside)"))
            } else {
                results.append(PostconditionResult(name: "writes_permitted", holds: false,
                                                   detail: "the home was not captured before the step"))
            }
        }
        if let check = p.check {
            // In the application's sandbox, but reaching no display and only reading the home: a check
            // looks, it never acts. A check that cannot run or does not finish fails (the step is rolled back).
            var command = app.command
            command.watcher = .unavailable("post-condition checks run without the network watcher")
            command.withDisplay = false
            command.homeReadOnly = true
            let what = check.joined(separator: " ")
            do {
                let r = try CommandRunner.run(command.argv(running: check), timeout: p.checkTimeout)
                let output = IsolationCheck.brief(r.output)
                results.append(PostconditionResult(
                    name: "check", holds: r.status == 0 && !r.signalled,
                    detail: "\(what) \(r.signalled ? "killed by signal \(r.status)" : "exited \(r.status)")\(output.isEmpty ? "" : ": " + output)"))
            } catch {
                results.append(PostconditionResult(name: "check", holds: false, detail: "\(what) did not complete: \(error)"))
            }
        }
        return results
    }

    public func checkpoint(label: String) throws -> HomeCheckpoint {
        try home.checkpoint(definition.checkpoint, label: label)
    }

    /// Restores the home to `checkpoint` and verifies it against the checkpoint's manifest, stopping
    /// the application first and starting it again afterwards when the definition asks for a restart.
    /// `onStep` sees each step as it completes (the audit); the first failing step throws, and the
    /// caller stops the session.
    @discardableResult
    public func rollback(to checkpoint: HomeCheckpoint, onStep: (RollbackStep) -> Void = { _ in }) throws -> [RollbackStep] {
        var steps: [RollbackStep] = []
        func step(_ kind: RollbackStep.Kind, _ body: () throws -> String) rethrows {
            let start = Date()
            let detail = try body()
            let s = RollbackStep(kind: kind, detail: detail, seconds: Date().timeIntervalSince(start))
            steps.append(s)
            onStep(s)
        }
        // With a restart the application runs afterwards even when it had died during the step (a crash
        // is one of the things a rollback undoes).
        let restart = definition.checkpoint.restartAfterRestore
        if restart && app.isRunning {
            step(.stopApplication) {
                let exit = app.stop(gracePeriod: 3)
                return "\(definition.name) on \(display.name): " + (exit.map { "\($0.reason.rawValue) \($0.status)\($0.forced ? ", killed" : "")" } ?? "not running")
            }
        }
        try step(.restoreHome) {
            try home.restore(checkpoint, strategy: definition.checkpoint, verify: false)
            return "checkpoint \(checkpoint.id) (\(checkpoint.label))"
        }
        try step(.verifyHome) {
            try home.verify(against: checkpoint)
            return "home equals checkpoint \(checkpoint.id) (\(checkpoint.manifest.entries.count) entries)"
        }
        if restart {
            try step(.startApplication) {
                try app.start()
                return "\(definition.name) on \(display.name)"
            }
        }
        return steps
    }

    /// Replaces this stage's home with a copy of `other`'s (the rehearsal taking over the live state
    /// after drift), restarting the application around it. The result is verified file by file.
    @discardableResult
    public func adoptState(of other: SandboxStage) throws -> [RollbackStep] {
        let snapshot = try other.home.checkpoint(.copyHome(restartAfterRestore: true), label: "adopt-by-\(role.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: snapshot.directory) }
        var steps: [RollbackStep] = []
        let wasRunning = app.isRunning
        var start = Date()
        if wasRunning {
            app.stop(gracePeriod: 3)
            steps.append(RollbackStep(kind: .stopApplication, detail: "\(definition.name) on \(display.name)",
                                      seconds: Date().timeIntervalSince(start)))
        }
        start = Date()
        try home.restore(snapshot, strategy: .copyHome(restartAfterRestore: true))
        steps.append(RollbackStep(kind: .copyHome, detail: "from the \(other.role.rawValue) home, verified",
                                  seconds: Date().timeIntervalSince(start)))
        if wasRunning {
            start = Date()
            try app.start()
            steps.append(RollbackStep(kind: .startApplication, detail: "\(definition.name) on \(display.name)",
                                      seconds: Date().timeIntervalSince(start)))
        }
        return steps
    }
}
