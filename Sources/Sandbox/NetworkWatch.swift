// The supervisor's half of the network observation; the other half is the understudy-netwatch
// program (Sources/understudy-netwatch/main.c), which runs inside the sandbox in front of the
// application, installs a seccomp filter whose socket(), connect() and sendto() calls wait for this
// supervisor (SECCOMP_RET_USER_NOTIF), and hands over the filter's listener descriptor through a unix
// socket that ChildProcess passes in as descriptor 3.
//
// For each notification a reader thread reads the call's socket address from the caller's memory
// (process_vm_readv), the caller's executable (/proc/<pid>/exe), the socket's family and type (a
// pidfd_getfd copy), checks with SECCOMP_IOCTL_NOTIF_ID_VALID that the caller is still the one blocked
// in that call, and answers CONTINUE.
//
// OBSERVATION ONLY. CONTINUE lets the kernel run the call as if unfiltered, and another thread of the
// caller may rewrite the address between our read and the kernel's; the seccomp user-notification
// documentation says in as many words that this is not a security mechanism. Enforcement is the
// network namespace's (BubblewrapCommand): the attempts seen here fail there. What is recorded is what
// the caller asked for, which a hostile caller can blur but not hide: every reported call is recorded.
//
// Bounded: at most `capacity` calls of each scope are reported (the newest; up to twice that are held
// between trims); the totals count every call. Nothing read from the sandbox can make the thread trap: lengths are capped, short reads
// and a caller that dies mid-read become notes.

import CSeccomp
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the watcher program is, or why there is none.
public enum NetworkWatcher: Equatable, Sendable {
    case binary(String)
    case unavailable(String)

    /// An absolute path that replaces the default location (tests point it at a missing file).
    public static let environmentVariable = "UNDERSTUDY_NETWATCH"
    /// Where the program appears inside the sandbox (bound read-only).
    public static let mountPoint = "/run/understudy/netwatch"
    /// The descriptor number the supervisor's end of the hand-over socket gets in the sandbox.
    static let handoffDescriptor: Int32 = 3

    /// `understudy-netwatch` next to the running executable — `.build/<config>/` for both the
    /// `understudy` command and the test bundle — unless the environment variable names another.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> NetworkWatcher {
        let path: String
        if let override = environment[environmentVariable], !override.isEmpty {
            path = override
        } else {
            guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
                return .unavailable("/proc/self/exe is unreadable, so the watcher cannot be found")
            }
            path = (exe as NSString).deletingLastPathComponent + "/understudy-netwatch"
        }
        guard path.hasPrefix("/") else { return .unavailable("\(environmentVariable) must be an absolute path, not \(path)") }
        guard FileManager.default.isExecutableFile(atPath: path) else { return .unavailable("no watcher program at \(path)") }
        return .binary(path)
    }

    public var path: String? { if case .binary(let p) = self { return p } else { return nil } }
}

public final class NetworkWatch: @unchecked Sendable {
    public enum State: Equatable, Sendable {
        /// Waiting for the watcher's report (the application is starting).
        case starting
        case watching
        /// Every watched process has exited; what was seen stays.
        case ended
        /// Nothing is or was observed, and why.
        case unavailable(String)
        /// Observation stopped part-way, and why; calls after that were not seen.
        case failed(String)
    }

    /// Counters at one moment, to ask later for the calls since then.
    public struct Mark: Sendable {
        let watch: ObjectIdentifier
        let network: Int
        let local: Int
    }

    /// What a window between two marks saw.
    public struct Window: Sendable {
        public var network: [SocketCall]
        public var networkCount: Int
        public var local: [SocketCall]
        public var localCount: Int
    }

    public let capacity: Int
    /// How long the watcher has to report after the start before the watch counts as unavailable.
    public let handoffTimeout: Double
    private let lock = NSLock()
    private var currentState: State = .starting
    private var network: [(ordinal: Int, call: SocketCall)] = []
    private var local: [(ordinal: Int, call: SocketCall)] = []
    private var networkTotal = 0, localTotal = 0
    private var nextSequence: UInt64 = 0
    private var listener: Int32 = -1
    private var handling = false
    /// The supervisor's end of the hand-over socket, and the end the child gets as descriptor 3.
    private var channel: Int32
    private(set) var childEnd: Int32
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    public init(capacity: Int = 1024, handoffTimeout: Double = 30) throws {
        self.capacity = max(1, capacity)
        self.handoffTimeout = handoffTimeout
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SandboxError.launchFailed(argv: [], reason: "socketpair for the network watch: \(String(cString: strerror(errno)))")
        }
        // The child's end is moved above 2 and away from 3, so that dup2 onto 3 in the child always
        // copies (a dup2 onto itself would leave close-on-exec set).
        let moved = fcntl(pair[1], F_DUPFD_CLOEXEC, 10)
        close(pair[1])
        var pipeEnds: [Int32] = [-1, -1]
        // pipe2 with O_CLOEXEC: no window in which a concurrent spawn inherits the pipe.
        let piped = moved >= 0 ? cseccomp_pipe_cloexec(&pipeEnds) : -errno
        guard piped == 0 else {
            let reason = String(cString: strerror(-piped))
            close(pair[0]); if moved >= 0 { close(moved) }
            // Nothing stays open for deinit to close a second time.
            channel = -1
            childEnd = -1
            throw SandboxError.launchFailed(argv: [], reason: "pipe for the network watch: \(reason)")
        }
        channel = pair[0]
        childEnd = moved
        wake = (pipeEnds[0], pipeEnds[1])
    }

    /// A watch that never watched, for an application started without the watcher.
    public init(unavailable reason: String) {
        capacity = 1
        handoffTimeout = 0
        channel = -1
        childEnd = -1
        currentState = .unavailable(reason)
    }

    deinit {
        stop()
        for fd in [channel, childEnd, wake.read, wake.write] where fd >= 0 { close(fd) }
    }

    public var state: State { lock.withLock { currentState } }

    /// The counters now; `calls(since:)` later gives what came after.
    public var mark: Mark { lock.withLock { Mark(watch: ObjectIdentifier(self), network: networkTotal, local: localTotal) } }

    /// Call right after the child was started with `childEnd` as its descriptor 3 (or was not started:
    /// the thread then sees end of file and reports that the watcher never reported).
    func childStarted() {
        closeChildEnd()
        guard !started, channel >= 0 else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "understudy-netwatch"
        thread.start()
    }

    private func closeChildEnd() {
        if childEnd >= 0 { close(childEnd); childEnd = -1 }
    }

    /// Stops the reader thread (the watched processes' pending calls then fail with ENOSYS, so call
    /// this after the application has stopped) and waits for it.
    public func stop() {
        guard started else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        _ = finished.wait(timeout: .now() + 5)
        finished.signal()  // later stop() calls return at once
    }

    /// Waits (bounded) until no reported call is waiting or being handled, so that a call made before
    /// this moment is in the counts.
    public func settle(timeout: Double = 0.25) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while DispatchTime.now().uptimeNanoseconds < deadline {
            let busy: Bool = lock.withLock {
                guard listener >= 0 else { return false }
                if handling { return true }
                var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLIN) != 0
            }
            if !busy { return }
            usleep(1_000)
        }
    }

    /// The calls since `mark` (nil when the mark belongs to another watch).
    public func calls(since mark: Mark) -> Window? {
        guard mark.watch == ObjectIdentifier(self) else { return nil }
        return lock.withLock {
            Window(network: network.suffix(capacity).filter { $0.ordinal >= mark.network }.map(\.call), networkCount: networkTotal - mark.network,
                   local: local.suffix(capacity).filter { $0.ordinal >= mark.local }.map(\.call), localCount: localTotal - mark.local)
        }
    }

    /// Every call kept so far, in order.
    public var allCalls: [SocketCall] {
        lock.withLock { (network.suffix(capacity).map(\.call) + local.suffix(capacity).map(\.call)).sorted { $0.sequence < $1.sequence } }
    }

    // MARK: - The reader thread

    private func run() {
        defer { finished.signal() }
        guard let received = receiveListener() else { return }
        lock.withLock { listener = received; currentState = .watching }
        var reason: String?
        loop: while true {
            var fds = [pollfd(fd: received, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 2, -1)
            if r < 0 {
                if errno == EINTR { continue }
                reason = "poll: \(String(cString: strerror(errno)))"
                break
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                if let failure = handleOne(received) { reason = failure; break loop }
            } else if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                break  // every process under the filter has exited
            }
        }
        lock.withLock {
            close(listener)
            listener = -1
            if case .watching = currentState { currentState = reason.map { .failed($0) } ?? .ended }
        }
    }

    /// Waits for the watcher's one message; nil (with the state set) when there is no listener.
    private func receiveListener() -> Int32? {
        defer { close(channel); channel = -1 }
        func unavailable(_ why: String) -> Int32? {
            lock.withLock { currentState = .unavailable(why) }
            return nil
        }
        var fds = [pollfd(fd: channel, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        var r: Int32
        repeat { r = poll(&fds, 2, Int32(handoffTimeout * 1000)) } while r < 0 && errno == EINTR
        if r == 0 { return unavailable("the watcher did not report within \(Int(handoffTimeout)) s") }
        if fds[1].revents != 0 { return unavailable("stopped before the watcher reported") }
        var fd: Int32 = -1
        var text = [CChar](repeating: 0, count: 512)
        let n = cseccomp_receive_listener(channel, &fd, &text, text.count)
        let message = n > 0 ? String(decoding: text.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        if message == "ok" && fd >= 0 { return fd }
        if fd >= 0 { close(fd) }
        if n < 0 { return unavailable("receiving the watcher's report: \(String(cString: strerror(Int32(-n))))") }
        if n == 0 { return unavailable("the watcher ended without reporting (the sandbox did not start it, or it failed)") }
        let prefix = "unavailable: "
        return unavailable(message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : "unexpected report \(message.debugDescription)")
    }

    /// Handles one notification; a failure that ends the watch as text.
    private func handleOne(_ fd: Int32) -> String? {
        var n = cseccomp_notification()
        // Busy from before the receive, so that settle() never sees a taken but unrecorded call.
        lock.withLock { handling = true }
        let r = cseccomp_receive(fd, &n)
        if r < 0 { lock.withLock { handling = false } }
        // ENOENT: the caller was interrupted (or died) before we took the notification.
        if r == -ENOENT || r == -EINTR { return nil }
        if r < 0 { return "SECCOMP_IOCTL_NOTIF_RECV: \(String(cString: strerror(-r)))" }
        var call = describe(n)
        // Everything above was read about the pid; it is the caller's only if the caller is still
        // blocked in this call (pids are reused).
        if cseccomp_id_valid(fd, n.id) != 0 {
            call.note = [call.note, "the call was interrupted or its process ended while being read; a restarted call is reported again"]
                .compactMap { $0 }.joined(separator: "; ")
            if call.call != .socket { call.scope = .network }  // the address may not be the caller's: fail safe
        }
        _ = cseccomp_continue(fd, n.id)  // ENOENT: the caller is gone; nothing to answer
        record(call)
        return nil
    }

    private func record(_ call: SocketCall) {
        lock.withLock {
            var c = call
            c.sequence = nextSequence
            nextSequence += 1
            // Trimmed in halves, not one by one (a flood would move the whole list per call); reads
            // return at most `capacity`, the newest.
            switch c.scope {
            case .network:
                network.append((networkTotal, c)); networkTotal += 1
                if network.count >= 2 * capacity { network.removeFirst(network.count - capacity) }
            case .local:
                local.append((localTotal, c)); localTotal += 1
                if local.count >= 2 * capacity { local.removeFirst(local.count - capacity) }
            }
            handling = false
        }
    }

    /// The notification as a record (sequence filled by `record`).
    func describe(_ n: cseccomp_notification) -> SocketCall {
        let pid = Int32(bitPattern: n.pid)
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        var call = SocketCall(sequence: 0, uptime: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9, pid: pid,
                              executable: Self.executable(of: pid), call: .socket, family: "unknown", address: nil,
                              socketType: nil, scope: .network, note: nil)
        let args = [n.args.0, n.args.1, n.args.2, n.args.3, n.args.4, n.args.5]
        switch Int(n.nr) {
        case Int(CSECCOMP_NR_SOCKET):
            let family = Int(Int32(truncatingIfNeeded: args[0]))
            call.family = SocketAddress.familyName(family)
            call.socketType = SocketAddress.typeName(Int(Int32(truncatingIfNeeded: args[1])))
            call.scope = SocketAddress.scope(ofFamily: family)
        case Int(CSECCOMP_NR_CONNECT), Int(CSECCOMP_NR_SENDTO):
            let isConnect = Int(n.nr) == Int(CSECCOMP_NR_CONNECT)
            call.call = isConnect ? .connect : .sendto
            let pointer = isConnect ? args[1] : args[4]
            let length = Int(UInt32(truncatingIfNeeded: isConnect ? args[2] : args[5]))
            var domain: Int32 = -1, type: Int32 = -1
            // The notification names the calling thread; a pidfd needs its process (the thread-group
            // leader, which shares the descriptor table) unless the kernel has PIDFD_THREAD.
            let info = cseccomp_socket_info(Self.threadGroup(of: pid), Int32(truncatingIfNeeded: args[0]), &domain, &type)
            var notes: [String] = []
            if info == 0 { call.socketType = SocketAddress.typeName(Int(type)) }
            let (addressFamily, text, problem) = Self.readAddress(pid: pid, pointer: pointer, length: length)
            call.address = text
            if let problem { notes.append(problem) }
            // The socket's own family (from the kernel) decides; the address's family is the caller's word.
            if info == 0 {
                call.family = SocketAddress.familyName(Int(domain))
                call.scope = SocketAddress.scope(ofFamily: Int(domain))
            } else if let addressFamily {
                call.family = SocketAddress.familyName(addressFamily)
                call.scope = SocketAddress.scope(ofFamily: addressFamily)
                notes.append("socket family from the address (the descriptor was unreadable: \(String(cString: strerror(-info))))")
            } else {
                notes.append("family unknown: counted as network")
            }
            call.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        default:
            call.family = "unknown"
            call.note = "unexpected system call \(n.nr) (arch 0x\(String(n.arch, radix: 16)))"
        }
        return call
    }

    /// The socket address at `pointer` in `pid`: its family, its text, and what went wrong.
    static func readAddress(pid: Int32, pointer: UInt64, length: Int) -> (Int?, String?, String?) {
        if pointer == 0 { return (nil, nil, "no address (NULL)") }
        // The kernel refuses more than sizeof(struct sockaddr_storage).
        let wanted = min(length, 128)
        guard wanted >= 2 else { return (nil, nil, "address length \(length)") }
        var buffer = [UInt8](repeating: 0, count: wanted)
        let got = buffer.withUnsafeMutableBytes { cseccomp_read_memory(pid, pointer, $0.baseAddress, wanted) }
        if got < 0 { return (nil, nil, "address unreadable: \(String(cString: strerror(Int32(-got))))") }
        let bytes = Array(buffer.prefix(Int(got)))
        let (family, text) = SocketAddress.describe(bytes)
        var problem: String?
        if length > 128 { problem = "address length \(length) exceeds sockaddr_storage (the kernel refuses it)" }
        if Int(got) < wanted { problem = "address cut short at \(got) of \(wanted) bytes" }
        return (family, text, problem)
    }

    /// The process a thread belongs to (`Tgid:` of /proc/<tid>/status); the thread id itself when unreadable.
    static func threadGroup(of tid: Int32) -> Int32 {
        guard let status = try? String(contentsOfFile: "/proc/\(tid)/status", encoding: .utf8) else { return tid }
        for line in status.split(separator: "\n") where line.hasPrefix("Tgid:") {
            if let tgid = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)), tgid > 0 { return tgid }
        }
        return tid
    }

    static func executable(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink("/proc/\(pid)/exe", &buffer, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
