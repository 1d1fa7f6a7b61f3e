// Child processes started with posix_spawn and reaped here with waitpid, instead of Foundation's
// Process. Two reasons, both observed with Process on Linux:
//   - Process learns that a child exited from EOF on a socketpair whose one end the child inherits
//     (not close-on-exec). Everything the child forks inherits it too, so a sandboxed application that
//     outlived bwrap kept the end open: Process never reaped bwrap and waitUntilExit() hung.
//   - That end, and any other non-close-on-exec descriptor of the supervisor, reached the sandboxed
//     application: an open channel to the supervisor inside the sandbox.
// Here every descriptor above 2 is closed in the child (except one the caller names, which becomes
// descriptor 3: the network watch's hand-over socket), signal dispositions are reset to default and
// the mask is emptied (the Swift runtime ignores SIGPIPE), and the supervisor reaps the child itself.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ChildProcess {
    let pid: pid_t
    let argv: [String]
    private var waitStatus: Int32?

    /// Starts `executable` with `argv` (argv[0] included) and exactly `environment`. stdin is
    /// /dev/null; stdout and stderr go to the given files (created 0600, truncated); a nil `stderr`
    /// shares stdout's file, "/dev/null" discards. `passing` (a close-on-exec descriptor other than 3)
    /// becomes the child's descriptor 3; nothing else above 2 reaches the child.
    init(executable: String, argv: [String], environment: [String: String], stdout: String, stderr: String?,
         passing: Int32? = nil) throws {
        self.argv = argv
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        func openFile(_ path: String, _ flags: Int32) throws -> Int32 {
            let fd = open(path, flags | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw SandboxError.launchFailed(argv: argv, reason: "\(path): \(String(cString: strerror(errno)))")
            }
            opened.append(fd)
            return fd
        }
        let input = try openFile("/dev/null", O_RDONLY)
        let output = try openFile(stdout, O_WRONLY | O_CREAT | O_TRUNC)
        let errors = try stderr.map { try openFile($0, O_WRONLY | O_CREAT | O_TRUNC) } ?? output
        // dup2 onto 0-2 clears close-on-exec on the copies; everything from 3 up is closed.
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        if let passing {
            guard passing != 3 else { throw SandboxError.launchFailed(argv: argv, reason: "descriptor 3 cannot be passed as itself") }
            posix_spawn_file_actions_adddup2(&actions, passing, 3)
        }
        try Self.closeFrom(passing == nil ? 3 : 4, &actions, argv: argv)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, cArgs, cEnv)
        guard result == 0 else {
            throw SandboxError.launchFailed(argv: argv, reason: String(cString: strerror(result)))
        }
        pid = child
    }

    deinit {
        // Never leave a zombie behind; a child still running is the owner's to stop.
        reap()
    }

    /// True until the child has exited and been reaped.
    var isRunning: Bool {
        reap()
        return waitStatus == nil
    }

    /// Waits up to `timeout` seconds; true when the child has exited.
    func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(2_000)
        }
        return true
    }

    /// Blocks until the child exits.
    func waitForever() {
        while waitStatus == nil {
            var status: Int32 = 0
            let r = waitpid(pid, &status, 0)
            if r == pid { waitStatus = status } else if r < 0 && errno != EINTR { waitStatus = -1 }
        }
    }

    /// Sends `signal` unless the child has been reaped (its pid may belong to someone else by then).
    func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// (signalled, status or signal number), once exited.
    var termination: (signalled: Bool, status: Int32)? {
        guard let s = waitStatus else { return nil }
        if s < 0 { return (false, -1) }
        let low = s & 0x7f
        // WIFEXITED: low 7 bits zero; WIFSIGNALED otherwise (stopped children are not waited for).
        return low == 0 ? (false, (s >> 8) & 0xff) : (true, low)
    }

    private func reap() {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { waitStatus = status } else if r < 0 && errno == ECHILD { waitStatus = -1 }
    }

    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+) is not in Swift's Glibc module (it
    /// needs _GNU_SOURCE), so it is looked up at run time; without it, each descriptor open now
    /// (from /proc/self/fd) is closed one by one.
    private static func closeFrom(_ lowest: Int32, _ actions: inout posix_spawn_file_actions_t, argv: [String]) throws {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            guard closeFrom(&actions, lowest) == 0 else {
                throw SandboxError.launchFailed(argv: argv, reason: "posix_spawn_file_actions_addclosefrom_np failed")
            }
            return
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in fds.compactMap(Int32.init) where fd >= lowest {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}
