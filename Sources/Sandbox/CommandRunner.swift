// Runs a short host program by argv (never a shell string) with an exact environment and a deadline,
// collecting its combined output. Used for copies (cp), checkpoint hooks and isolation probes.
// Started through ChildProcess (posix_spawn, descriptors above 2 closed, reaped here).

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
    /// Runs `argv` (argv[0] an absolute path or a name on /usr/bin:/bin). Output beyond `outputLimit`
    /// bytes is cut. With `discardErrors`, stderr goes to /dev/null and `output` is stdout alone.
    /// With `watch`, its hand-over socket is the child's descriptor 3 (a sandbox with the network watcher).
    static func run(_ argv: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"],
                    timeout: Double = 30, outputLimit: Int = 65_536, discardErrors: Bool = false,
                    watch: NetworkWatch? = nil) throws -> CommandResult {
        guard let program = argv.first, let executable = resolve(program) else {
            throw SandboxError.executableNotFound(name: argv.first ?? "(empty argv)")
        }
        // A file, not a pipe: a chatty child can never block on a full pipe while we poll.
        let outPath = NSTemporaryDirectory() + "understudy-cmd-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let start = Date()
        let child = try ChildProcess(executable: executable, argv: argv, environment: environment,
                                     stdout: outPath, stderr: discardErrors ? "/dev/null" : nil, passing: watch?.childEnd)
        watch?.childStarted()
        guard child.wait(timeout: timeout) else {
            child.send(SIGKILL)
            child.waitForever()
            throw SandboxError.timedOut(operation: argv.joined(separator: " "), seconds: timeout)
        }
        let data = (FileManager.default.contents(atPath: outPath) ?? Data()).prefix(outputLimit)
        let termination = child.termination ?? (signalled: false, status: -1)
        return CommandResult(argv: argv, status: termination.status, signalled: termination.signalled,
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
