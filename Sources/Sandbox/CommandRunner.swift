// Runs a short host program by argv (never a shell string) with an exact environment and a deadline,
// collecting its combined output. Used for copies (cp), checkpoint hooks and isolation probes.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct CommandResult: Sendable {
    var argv: [String]
    var status: Int32
    var signalled: Bool
    var output: String
    var seconds: Double
}

enum CommandRunner {
    /// Runs `argv` (argv[0] an absolute path or a name on /usr/bin:/bin). Output over 64 KiB is cut.
    static func run(_ argv: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
                    timeout: Double = 30) throws -> CommandResult {
        guard let program = argv.first, let executable = resolve(program) else {
            throw SandboxError.executableNotFound(name: argv.first ?? "(empty argv)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        p.standardInput = FileHandle.nullDevice
        // A file, not a pipe: a chatty child can never block on a full pipe while we poll.
        let outPath = NSTemporaryDirectory() + "understudy-cmd-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: outPath, contents: nil, attributes: [.posixPermissions: 0o600]),
              let out = FileHandle(forWritingAtPath: outPath) else {
            throw SandboxError.launchFailed(argv: argv, reason: "cannot create output file")
        }
        defer { try? out.close(); try? FileManager.default.removeItem(atPath: outPath) }
        p.standardOutput = out
        p.standardError = out
        let start = Date()
        do { try p.run() } catch { throw SandboxError.launchFailed(argv: argv, reason: error.localizedDescription) }
        let deadline = start.addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            throw SandboxError.timedOut(operation: argv.joined(separator: " "), seconds: timeout)
        }
        p.waitUntilExit()
        let data = (FileManager.default.contents(atPath: outPath) ?? Data()).prefix(65_536)
        return CommandResult(argv: argv, status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                             output: String(decoding: data, as: UTF8.self),
                             seconds: Date().timeIntervalSince(start))
    }

    /// Like `run`, but a non-zero exit is an error.
    @discardableResult
    static func check(_ argv: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
                      timeout: Double = 60) throws -> CommandResult {
        let r = try run(argv, environment: environment, timeout: timeout)
        guard r.status == 0, !r.signalled else {
            throw SandboxError.commandFailed(argv: argv, status: r.status,
                                             output: String(r.output.suffix(500)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return r
    }

    static func resolve(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
            let candidate = dir + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
