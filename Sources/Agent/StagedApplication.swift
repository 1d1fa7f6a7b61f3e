// A real application started on a private display for a demo or an end-to-end test, with its stdout
// captured as the oracle.
//
// Spawned with posix_spawn and an explicitly empty signal mask and default dispositions: a child
// started by Foundation's Process from a Swift concurrency thread inherits that thread's blocked
// signals (SIGTERM among them), so it cannot be asked to quit and only SIGKILL ends it.

import Desktop
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class StagedApplication {
    public let executable: String
    public let pid: pid_t
    private var status: Int32?
    private let outputLock = NSLock()
    private var outputBytes: [UInt8] = []
    private let outputDone = DispatchSemaphore(value: 0)

    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        self.executable = executable
        var env = environment
        // Keep the application off the session bus and accessibility bus of whoever runs us.
        env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
        env["NO_AT_BRIDGE"] = "1"
        env["GTK_A11Y"] = "none"

        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw AgentError.configuration("pipe: \(String(cString: strerror(errno)))") }
        let devNull = open("/dev/null", O_RDWR)
        defer { if devNull >= 0 { close(devNull) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, devNull, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw AgentError.configuration("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child

        // Drain stdout as it comes, so a chatty application never blocks on a full pipe.
        let readFD = fds[0]
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(readFD, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                outputLock.lock(); outputBytes += buffer[0..<n]; outputLock.unlock()
            }
            close(readFD)
            outputDone.signal()
        }.start()
    }

    /// True until the process has exited (and been reaped here).
    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            // The wait status: low 7 bits the terminating signal (0 for a normal exit), then the exit code.
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return false
        }
        if r < 0 && errno == ECHILD {
            status = -1  // reaped elsewhere: gone, status unknown
            return false
        }
        return r == 0
    }

    /// Waits until a window whose title contains `title`, owned by this process, is mapped.
    public func waitForWindow(titled title: String, on display: Display, timeout: Double = 15) throws -> WindowInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { throw AgentError.configuration("\(executable) exited early") }
            if let w = try display.windows().first(where: { ($0.title ?? "").contains(title) && $0.pid == pid }) {
                return w
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw AgentError.configuration("no window titled \"\(title)\" within \(timeout) s")
    }

    /// Gives the window keyboard focus the way a window manager would when it maps a window. The
    /// stage has no window manager, so X leaves focus at PointerRoot (keys go to the window under
    /// the pointer); the stage therefore parks the pointer over the window before the session starts.
    /// This is set-up of the stage, before the audit log exists, not an action of the agent.
    public func focus(_ window: WindowInfo, on display: Display) throws {
        try display.movePointer(to: ScreenPoint(x: window.frame.x + window.frame.width / 2,
                                                y: window.frame.y + window.frame.height / 2))
    }

    /// Waits (bounded) for the application to exit and returns its exit status and stdout; nil if it
    /// is still running.
    public func finish(timeout: Double = 5) -> (status: Int32, output: String)? {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !isRunning, let status else { return nil }
        _ = outputDone.wait(timeout: .now() + 2)
        outputLock.lock(); defer { outputLock.unlock() }
        return (status, String(decoding: outputBytes, as: UTF8.self))
    }

    /// SIGTERM, then SIGKILL after two seconds.
    public func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if isRunning {
            kill(pid, SIGKILL)
            let killDeadline = Date().addingTimeInterval(5)
            while isRunning && Date() < killDeadline { Thread.sleep(forTimeInterval: 0.01) }
        }
    }

    deinit { stop() }
}
