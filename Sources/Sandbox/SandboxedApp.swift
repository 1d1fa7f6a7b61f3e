// Starts a definition's application under bubblewrap on one display, and stops it. The argv comes
// from BubblewrapCommand and is run directly (no shell) by ChildProcess — posix_spawn with every
// descriptor above 2 closed, reaped here; see ChildProcess.swift for why not Foundation's Process —
// with an environment of PATH only (bwrap clears it again inside and sets the sandbox's own).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a sandboxed application ended.
public struct ExitReport: Equatable, Sendable, Codable {
    public enum Reason: String, Equatable, Sendable, Codable { case exited, signalled }
    public var reason: Reason
    /// The exit status, or the signal number when `reason` is `.signalled`.
    public var status: Int32
    /// True when the launcher had to kill it (SIGKILL after the grace period).
    public var forced: Bool
}

public final class SandboxedApp {
    public let command: BubblewrapCommand
    /// Host paths of the bubblewrap process's stdout and stderr (the application's output).
    public let stdoutFile: String
    public let stderrFile: String
    private var process: ChildProcess?
    /// The network watch of the current (or last) start; a new one per start. Before the first start,
    /// and without the watcher program, it is unavailable with the reason.
    public private(set) var networkWatch: NetworkWatch

    /// - Parameter logDirectory: where the application's stdout and stderr are written (created if missing).
    public init(command: BubblewrapCommand, logDirectory: String) throws {
        self.command = command
        networkWatch = NetworkWatch(unavailable: "the application has not been started")
        do { try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700]) } catch {
            throw SandboxError.homeFailed(path: logDirectory, reason: error.localizedDescription)
        }
        stdoutFile = (logDirectory as NSString).appendingPathComponent("\(command.definition.name).stdout")
        stderrFile = (logDirectory as NSString).appendingPathComponent("\(command.definition.name).stderr")
    }

    /// The bwrap process id, while it runs.
    public var pid: Int32? { process.flatMap { $0.isRunning ? $0.pid : nil } }
    public var isRunning: Bool { process?.isRunning ?? false }
    public var watcher: ProcessWatcher? { pid.map { ProcessWatcher(rootPid: $0) } }

    /// Starts the application (or `arguments` in its place, with the same sandbox).
    public func start(arguments: [String]? = nil) throws {
        if let p = process, p.isRunning { throw SandboxError.alreadyRunning(pid: p.pid) }
        let argv = command.argv(running: arguments)
        guard FileManager.default.isExecutableFile(atPath: command.bwrapPath) else {
            throw SandboxError.executableNotFound(name: command.bwrapPath)
        }
        let watch: NetworkWatch
        switch command.watcher {
        case .binary: watch = try NetworkWatch()
        case .unavailable(let reason): watch = NetworkWatch(unavailable: reason)
        }
        process = try ChildProcess(executable: command.bwrapPath, argv: argv, environment: ["PATH": "/usr/bin:/bin"],
                                   stdout: stdoutFile, stderr: stderrFile, passing: watch.childEnd >= 0 ? watch.childEnd : nil)
        networkWatch = watch
        watch.childStarted()
    }

    /// Waits for the application to exit by itself.
    public func waitForExit(timeout: Double) throws -> ExitReport {
        guard let p = process else { throw SandboxError.launchFailed(argv: command.argv(), reason: "not started") }
        guard p.wait(timeout: timeout) else {
            throw SandboxError.timedOut(operation: "waiting for \(command.definition.name) to exit", seconds: timeout)
        }
        return report(p, forced: false)
    }

    /// SIGTERM to the processes inside (the application, leaves first); after the grace period,
    /// SIGKILL to bwrap's process inside the sandbox — the init of the sandbox's pid namespace, whose
    /// death ends every process in the namespace — and to bwrap itself. Nothing listed before the stop
    /// outlives it. Nil when the application was never started.
    ///
    /// bwrap itself is not sent SIGTERM first: it dies of it at once, and the processes inside did not
    /// always follow (observed in a test run: after bwrap had exited on SIGTERM, Mousepad and bwrap's
    /// process inside were still running, reparented to init). The SIGKILL to the namespace's init
    /// does not depend on bwrap's --die-with-parent.
    @discardableResult
    public func stop(gracePeriod: Double = 3) -> ExitReport? {
        guard let p = process else { return nil }
        var forced = false
        if p.isRunning {
            let watcher = ProcessWatcher(rootPid: p.pid)
            let inside = (try? watcher.descendants()) ?? []
            let isBwrap = { (process: SandboxProcess) in process.executable.hasSuffix("/bwrap") }
            for child in inside.reversed() where !isBwrap(child) { kill(child.pid, SIGTERM) }
            if inside.isEmpty { p.send(SIGTERM) }  // nothing inside yet: bwrap is still setting up
            if !p.wait(timeout: gracePeriod) {
                forced = true
                for child in inside where isBwrap(child) { kill(child.pid, SIGKILL) }
                p.send(SIGKILL)
                p.waitForever()
            }
            // The namespace empties right after bwrap exits; whatever is still running a moment later
            // was orphaned (same pid and start time as listed) and is killed.
            let settle = Date().addingTimeInterval(0.5)
            while inside.contains(where: watcher.isAlive) && Date() < settle { usleep(5_000) }
            for child in inside where watcher.isAlive(child) {
                forced = true
                kill(child.pid, SIGKILL)
            }
        }
        p.waitForever()
        networkWatch.stop()
        return report(p, forced: forced)
    }

    /// The application's stderr so far (for error messages).
    public var errorOutput: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }
    public var standardOutput: String { (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "" }

    deinit { stop(gracePeriod: 1) }

    private func report(_ p: ChildProcess, forced: Bool) -> ExitReport {
        let t = p.termination ?? (signalled: false, status: -1)
        return ExitReport(reason: t.signalled ? .signalled : .exited, status: t.status, forced: forced)
    }
}
