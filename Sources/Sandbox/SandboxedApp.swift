// Starts a definition's application under bubblewrap on one display, and stops it. The argv comes
// from BubblewrapCommand; Foundation's Process runs it directly (no shell), with an environment of
// PATH only (bwrap clears it again inside and sets the sandbox's own).

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
    private var process: Process?

    /// - Parameter logDirectory: where the application's stdout and stderr are written (created if missing).
    public init(command: BubblewrapCommand, logDirectory: String) throws {
        self.command = command
        do { try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700]) } catch {
            throw SandboxError.homeFailed(path: logDirectory, reason: error.localizedDescription)
        }
        stdoutFile = (logDirectory as NSString).appendingPathComponent("\(command.definition.name).stdout")
        stderrFile = (logDirectory as NSString).appendingPathComponent("\(command.definition.name).stderr")
    }

    /// The bwrap process id, while it runs.
    public var pid: Int32? { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }
    public var isRunning: Bool { process?.isRunning ?? false }
    public var watcher: ProcessWatcher? { pid.map { ProcessWatcher(rootPid: $0) } }

    /// Starts the application (or `arguments` in its place, with the same sandbox).
    public func start(arguments: [String]? = nil) throws {
        if let p = process, p.isRunning { throw SandboxError.alreadyRunning(pid: p.processIdentifier) }
        let argv = command.argv(running: arguments)
        guard FileManager.default.isExecutableFile(atPath: command.bwrapPath) else {
            throw SandboxError.executableNotFound(name: command.bwrapPath)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command.bwrapPath)
        p.arguments = Array(argv.dropFirst())
        p.environment = ["PATH": "/usr/bin:/bin"]
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try Self.truncatedHandle(stdoutFile)
        p.standardError = try Self.truncatedHandle(stderrFile)
        do { try p.run() } catch {
            throw SandboxError.launchFailed(argv: argv, reason: error.localizedDescription)
        }
        process = p
    }

    /// Waits for the application to exit by itself.
    public func waitForExit(timeout: Double) throws -> ExitReport {
        guard let p = process else { throw SandboxError.launchFailed(argv: command.argv(), reason: "not started") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            guard Date() < deadline else { throw SandboxError.timedOut(operation: "waiting for \(command.definition.name) to exit", seconds: timeout) }
            usleep(5_000)
        }
        p.waitUntilExit()
        return report(p, forced: false)
    }

    /// SIGTERM to the processes inside (the application, leaves first), then SIGKILL to bwrap when
    /// the grace period is over; --die-with-parent takes everything inside down with it. Nil when the
    /// application was never started.
    @discardableResult
    public func stop(gracePeriod: Double = 3) -> ExitReport? {
        guard let p = process else { return nil }
        if p.isRunning {
            let inside = (try? ProcessWatcher(rootPid: p.processIdentifier).descendants()) ?? []
            // bwrap's own processes (the pid-namespace init) ignore SIGTERM from outside; the
            // application does not.
            for child in inside.reversed() where !child.executable.hasSuffix("/bwrap") {
                kill(child.pid, SIGTERM)
            }
            kill(p.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(gracePeriod)
            while p.isRunning && Date() < deadline { usleep(5_000) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                return report(p, forced: true)
            }
        }
        p.waitUntilExit()
        return report(p, forced: false)
    }

    /// The application's stderr so far (for error messages).
    public var errorOutput: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }
    public var standardOutput: String { (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "" }

    deinit { stop(gracePeriod: 1) }

    private func report(_ p: Process, forced: Bool) -> ExitReport {
        ExitReport(reason: p.terminationReason == .uncaughtSignal ? .signalled : .exited,
                   status: p.terminationStatus, forced: forced)
    }

    static func truncatedHandle(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw SandboxError.homeFailed(path: path, reason: "cannot create log file")
        }
        return handle
    }
}
