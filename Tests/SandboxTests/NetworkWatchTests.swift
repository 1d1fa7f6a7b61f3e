// The network watch with real processes: understudy-netwatch in front of the program under real
// bubblewrap (and a real Xvfb where a display is needed), the supervisor's reader thread answering
// the seccomp notifications. The attempts go to 192.0.2.1 (TEST-NET-1, never routed); the sandbox's
// empty network namespace refuses them at once, so nothing leaves the machine.

import XCTest
@testable import Sandbox

final class NetworkWatchTests: SandboxTestCase {
    func display() throws -> TestDisplay {
        try requireBubblewrap()
        let d = try TestDisplay()
        displays.append(d)
        return d
    }

    func app(_ toml: String, on display: TestDisplay, watcher: NetworkWatcher = .locate()) throws -> SandboxedApp {
        let definition = try SandboxDefinition(toml: toml, baseDirectory: "/")
        let home = try SandboxHome(seed: nil, name: definition.name)
        homes.append(home)
        let app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: display.endpoint, homePath: home.path,
                                                              watcher: watcher),
                                   logDirectory: home.root + "/logs")
        apps.append(app)
        return app
    }

    /// Runs `script` (bash) in the sandbox once a line arrives on a fifo in the home, between
    /// `begin` and `finish` of a recorder that follows the application: the script is the action.
    func rehearse(_ script: String, watcher: NetworkWatcher = .locate()) throws -> (effects: RehearsalEffects, exit: ExitReport, output: String) {
        let own = try display()
        let app = try app("name = \"net\"\n[app]\ncommand = [\"/bin/true\"]\n", on: own, watcher: watcher)
        let home = try XCTUnwrap(homes.last)
        XCTAssertEqual(mkfifo(home.path + "/go", 0o600), 0)
        try app.start(arguments: ["/usr/bin/bash", "-c", "read line < \"$HOME/go\"; " + script])
        let recorder = EffectRecorder(home: home, definition: app.command.definition, app: app, windows: nil)
        // The watcher reports before bash runs; wait for it so the baseline is taken on a watching watch.
        if watcher.path != nil { try poll(timeout: 10, "the watcher's report") { app.networkWatch.state != .starting } }
        let baseline = try recorder.begin()
        // Non-blocking: a sandbox that never started its reader must fail the test, not hang it.
        var fd: Int32 = -1
        try poll(timeout: 10, "the sandboxed reader of the fifo (stderr: \(app.errorOutput))") {
            fd = open(home.path + "/go", O_WRONLY | O_NONBLOCK)
            return fd >= 0
        }
        XCTAssertEqual(write(fd, "go\n", 3), 3)
        close(fd)
        let exit = try app.waitForExit(timeout: 20)
        let effects = try recorder.finish(baseline)
        return (effects, exit, app.standardOutput)
    }

    // MARK: - Addresses from untrusted memory

    func testSocketAddressesAreDecodedAndHostileBytesDoNotTrap() {
        let inet: [UInt8] = [2, 0, 0, 80, 192, 0, 2, 1] + [UInt8](repeating: 0, count: 8)
        XCTAssertEqual(SocketAddress.describe(inet).text, "192.0.2.1:80")
        var inet6: [UInt8] = [10, 0, 0x01, 0xbb, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 12) + [0, 0, 0, 0]
        inet6[23] = 1
        XCTAssertEqual(SocketAddress.describe(inet6).text, "[2001:db8::1]:443")
        XCTAssertEqual(SocketAddress.describe([1, 0] + Array("/tmp/.X11-unix/X3".utf8) + [0, 0x41]).text, "/tmp/.X11-unix/X3")
        XCTAssertEqual(SocketAddress.describe([1, 0, 0] + Array("/tmp/.X11-unix/X3".utf8)).text, "@/tmp/.X11-unix/X3")
        XCTAssertEqual(SocketAddress.describe([1, 0, 0, 0xff, 0x5c]).text, "@\\xff\\x5c")
        XCTAssertEqual(SocketAddress.describe([2, 0, 0]).text, "short inet address (3 bytes)")
        XCTAssertNil(SocketAddress.describe([2]).family)
        XCTAssertEqual(SocketAddress.ipv6([UInt8](repeating: 0, count: 16)), "::")
        XCTAssertEqual(SocketAddress.scope(ofFamily: 1), .local)
        XCTAssertEqual(SocketAddress.scope(ofFamily: 40), .network, "vsock reaches the hypervisor host, past any netns")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...140, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = SocketAddress.describe(bytes)
            _ = SocketAddress.describe([bytes.first ?? 0, 0] + bytes)  // the low families, with any body
        }
    }

    func testTheWatcherIsFoundNextToTheRunningExecutableUnlessOverridden() {
        let found = NetworkWatcher.locate(environment: [:])
        XCTAssertEqual(found.path.map { ($0 as NSString).lastPathComponent }, "understudy-netwatch", "\(found)")
        XCTAssertEqual(NetworkWatcher.locate(environment: [NetworkWatcher.environmentVariable: "/nonexistent/netwatch"]),
                       .unavailable("no watcher program at /nonexistent/netwatch"))
        XCTAssertEqual(NetworkWatcher.locate(environment: [NetworkWatcher.environmentVariable: "netwatch"]),
                       .unavailable("UNDERSTUDY_NETWATCH must be an absolute path, not netwatch"))
    }

    func testTheArgvRunsTheProgramBehindTheWatcherOnlyWhenThereIsOne() throws {
        let definition = try SandboxDefinition(toml: "name = \"t\"\n[app]\ncommand = [\"/usr/bin/zenity\"]\n", baseDirectory: "/")
        let endpoint = DisplayEndpoint(number: 5, authorityFile: "/a")
        let watched = BubblewrapCommand(definition: definition, display: endpoint, homePath: "/h", watcher: .binary("/b/understudy-netwatch"))
        XCTAssertEqual(Array(watched.argv().suffix(5)), ["--", "/run/understudy/netwatch", "3", "--", "/usr/bin/zenity"])
        let i = try XCTUnwrap(watched.argv().firstIndex(of: "/b/understudy-netwatch"))
        XCTAssertEqual(watched.argv()[i - 1], "--ro-bind")
        XCTAssertEqual(watched.argv()[i + 1], "/run/understudy/netwatch")
        let bare = BubblewrapCommand(definition: definition, display: endpoint, homePath: "/h", watcher: .unavailable("none"))
        XCTAssertEqual(Array(bare.argv().suffix(2)), ["--", "/usr/bin/zenity"])
        XCTAssertFalse(bare.argv().contains("/run/understudy/netwatch"))
    }

    // MARK: - Real processes

    /// (a) A blocked TCP connect and a UDP sendto, each observed with address and executable.
    func testBlockedConnectAndSendtoAreObservedWithAddressAndExecutable() throws {
        let (effects, exit, output) = try rehearse("""
            (exec 3<>/dev/tcp/192.0.2.1/80) 2>/dev/null; tcp=$?
            /usr/bin/perl -MSocket -e 'socket(S, PF_INET, SOCK_DGRAM, 0) or exit 3; send(S, "x", 0, pack_sockaddr_in(53, inet_aton("192.0.2.1"))) or exit 4; exit 0'; udp=$?
            echo "tcp=$tcp udp=$udp"; exit $tcp
            """)
        // The namespace refused both: the connect failed, and perl's send failed (exit 4, ENETUNREACH).
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "tcp=1 udp=4")
        XCTAssertEqual(exit.reason, .exited)
        XCTAssertNotEqual(exit.status, 0)
        let n = effects.network
        XCTAssertNil(n.notObservable, n.description)
        XCTAssertEqual(n.namespace, .isolated)
        XCTAssertEqual(n.attempts.map(\.summary), [
            "socket inet stream by /usr/bin/bash",
            "connect inet 192.0.2.1:80 by /usr/bin/bash",
            "socket inet dgram by /usr/bin/perl",
            "sendto inet 192.0.2.1:53 by /usr/bin/perl",
        ])
        XCTAssertEqual(n.attemptCount, 4)
        XCTAssertEqual(n.attempts.map(\.socketType), ["stream", "stream", "dgram", "dgram"])
        XCTAssertEqual(n.attempts.map(\.sequence), n.attempts.map(\.sequence).sorted())
        XCTAssertTrue(n.attempts.allSatisfy { $0.note == nil }, "\(n.attempts)")
        XCTAssertEqual(n.description, "network: isolated, watched: 4 attempts, none can leave the empty namespace")
        XCTAssertFalse(effects.isEmpty)
        XCTAssertEqual(effects.limitations.filter { $0.hasPrefix("network") }.count, 1, "\(effects.limitations)")
        XCTAssertTrue(effects.limitations.contains { $0.hasPrefix("network: socket(), connect() and sendto() are watched; sendmsg") },
                      "what is not watched is said: \(effects.limitations)")
        // The audit carries them (RehearsalEffects is encoded as JSON into the rehearsal record).
        let json = String(decoding: try JSONEncoder().encode(effects), as: UTF8.self)
        XCTAssertTrue(json.contains("\"address\":\"192.0.2.1:80\""), json)
    }

    /// A connect made by a second thread (the notification names the thread, not the process): the
    /// socket's family still comes from the kernel, not from the address the caller wrote.
    func testAConnectFromASecondThreadIsClassifiedByTheKernelsFamily() throws {
        let (effects, _, output) = try rehearse("""
            /usr/bin/perl -Mthreads -MSocket -e 'socket(S, PF_INET, SOCK_STREAM, 0) or exit 3; my $t = threads->create(sub { connect(S, pack_sockaddr_in(80, inet_aton("192.0.2.1"))) ? 0 : 5 }); exit $t->join()'; echo "perl=$?"
            """)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "perl=5", "the namespace refused the connect")
        let connects = effects.network.attempts.filter { $0.call == .connect }
        XCTAssertEqual(connects.map(\.summary), ["connect inet 192.0.2.1:80 by /usr/bin/perl"])
        XCTAssertEqual(connects.first?.socketType, "stream", "known only from the kernel's descriptor")
        XCTAssertNil(connects.first?.note, "no fallback to the caller's address family")
    }

    /// (d) Without the watcher the application still runs, and the effects say the network was not
    /// observable instead of "no attempt".
    func testWithoutTheWatcherAttemptsAreNotObservableRatherThanNone() throws {
        let saved = getenv(NetworkWatcher.environmentVariable).map { String(cString: $0) }
        setenv(NetworkWatcher.environmentVariable, "/nonexistent/understudy-netwatch", 1)
        defer { if let saved { setenv(NetworkWatcher.environmentVariable, saved, 1) } else { unsetenv(NetworkWatcher.environmentVariable) } }
        let (effects, exit, _) = try rehearse("exec 3<>/dev/tcp/192.0.2.1/80", watcher: .locate())
        XCTAssertNotEqual(exit.status, 0, "the namespace still refuses the connect")
        XCTAssertEqual(effects.network.notObservable, "no watcher program at /nonexistent/understudy-netwatch")
        XCTAssertTrue(effects.network.attempts.isEmpty)
        XCTAssertEqual(effects.network.description,
                       "network: isolated, attempts not observable: no watcher program at /nonexistent/understudy-netwatch")
        XCTAssertTrue(effects.limitations.contains("network: attempts not observable: no watcher program at /nonexistent/understudy-netwatch"),
                      "\(effects.limitations)")
    }

    /// Only descriptors 0-2 reach the program: not the hand-over socket, not the listener, nothing of bwrap's.
    func testOnlyTheStandardDescriptorsReachTheProgram() throws {
        let (_, exit, output) = try rehearse("cd /proc/self/fd && echo *")
        XCTAssertEqual(exit.status, 0)
        // The shell's own: 0-2, plus the directory the glob reads (bash's, opened after the cd).
        let fds = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        XCTAssertEqual(Array(fds.prefix(3)), [0, 1, 2], output)
        XCTAssertLessThanOrEqual(fds.count, 4, "only the glob's own directory descriptor besides 0-2: \(output)")
    }

    /// (b) A real X client: its connection to the display is IPC, not network; X11 requests never
    /// pass the supervisor (only connect and socket calls do), and the application works.
    func testAnXClientsDisplayConnectionIsLocalAndItsTrafficIsNotStopped() throws {
        let own = try display()
        let app = try app("name = \"term\"\n[app]\ncommand = [\"/usr/bin/xterm\", \"-geometry\", \"80x24+0+0\"]\nenvironment = { SHELL = \"/bin/sh\" }\n",
                          on: own)
        try app.start()
        let search = try own.x(["/usr/bin/xdotool", "search", "--sync", "--onlyvisible", "--class", "xterm"], timeout: 20)
        let window = try XCTUnwrap(search.output.split(separator: "\n").last.map(String.init))
        try own.x(["/usr/bin/xdotool", "mousemove", "100", "100"])
        try own.x(["/usr/bin/xdotool", "windowfocus", "--sync", window])
        let recorder = EffectRecorder(home: try XCTUnwrap(homes.last), definition: app.command.definition, app: app, windows: nil)
        let baseline = try recorder.begin()
        // Keys are X traffic from xdotool to the server to xterm: none of it is a socket call of xterm's.
        XCTAssertEqual(try own.x(["/usr/bin/xdotool", "type", "--delay", "5", "touch ~/typed\n"]).status, 0)
        try poll(timeout: 10, "the typed command") { FileManager.default.fileExists(atPath: try XCTUnwrap(self.homes.last).path + "/typed") }
        let effects = try recorder.finish(baseline)
        XCTAssertNil(effects.network.notObservable)
        XCTAssertEqual(effects.network.attemptCount, 0, "\(effects.network.attempts)")

        let calls = app.networkWatch.allCalls
        XCTAssertTrue(calls.allSatisfy { $0.scope == .local }, "\(calls.map(\.summary))")
        let display = calls.filter { $0.call == .connect && $0.address?.hasSuffix("/tmp/.X11-unix/X\(own.number)") == true }
        XCTAssertTrue(display.contains { $0.executable == "/usr/bin/xterm" && $0.family == "unix" && $0.socketType == "stream" },
                      "\(calls.map(\.summary))")
        FileHandle.standardError.write(Data(("\nsocket calls of xterm and its shell:\n" + calls.map { "  \($0.summary) [\($0.socketType ?? "?")]\($0.note.map { " (\($0))" } ?? "")" }.joined(separator: "\n") + "\n").utf8))
        // Start-up of xterm and its shell made a handful of socket calls, not one per X request.
        XCTAssertLessThan(calls.count, 20, "\(calls.map(\.summary))")
    }

    /// (e) The isolation check runs its probes behind the watcher, as the application runs, and
    /// still passes; the watch sees the loopback probe's connect (which the namespace refuses).
    func testTheIsolationCheckPassesBehindTheWatcher() throws {
        let own = try display(), other = try display()
        let home = try SandboxHome(seed: nil, name: "isolation")
        homes.append(home)
        let definition = try SandboxDefinition(toml: "name = \"iso\"\n[app]\ncommand = [\"/usr/bin/true\"]\n", baseDirectory: "/")
        let command = BubblewrapCommand(definition: definition, display: own.endpoint, homePath: home.path)
        XCTAssertNotNil(command.watcher.path, "\(command.watcher)")
        XCTAssertTrue(command.argv(running: ["/usr/bin/true"]).contains(NetworkWatcher.mountPoint))
        let report = try IsolationCheck(command: command, otherDisplays: [other.endpoint]).run()
        XCTAssertTrue(report.passed, report.failures.map { "\($0.name): \($0.detail)" }.joined(separator: "\n"))
        let loopback = try XCTUnwrap(report.probes.first { $0.name == "network.loopback" })
        XCTAssertTrue(loopback.detail.contains("the network watch saw socket inet stream by /usr/bin/perl, connect inet 127.0.0.1:"),
                      loopback.detail)
    }

    /// Bounded memory under a flood, and the watcher's cost: 2,000 socket(AF_INET) calls in a loop,
    /// watched and unwatched (the per-call difference is one round trip through the supervisor), and
    /// the start-up of a program behind the watcher.
    func testAFloodOfAttemptsIsCountedInBoundedMemoryAndItsCostIsMeasured() throws {
        let loop = "s=$EPOCHREALTIME; /usr/bin/perl -MSocket -e 'for (1..2000) { socket(my $s, PF_INET, SOCK_DGRAM, 0) or exit 3; close $s }'; "
            + "r=$?; e=$EPOCHREALTIME; echo \"$r ${s/./} ${e/./}\""
        func microseconds(_ output: String) throws -> Double {
            let f = output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            XCTAssertEqual(f.first, 0, "perl's exit status: \(output)")
            guard f.count == 3 else { throw SandboxError.invalidValue(path: "output", reason: output) }
            return f[2] - f[1]
        }
        let watched = try rehearse(loop)
        let unwatched = try rehearse(loop, watcher: .unavailable("measuring without"))
        let n = watched.effects.network
        XCTAssertNil(n.notObservable)
        XCTAssertEqual(n.attemptCount, 2000, "every call is counted")
        XCTAssertEqual(n.attempts.count, 1024, "at most the capacity is kept")
        XCTAssertEqual(n.attempts.last?.summary, "socket inet dgram by /usr/bin/perl")
        let withWatch = try microseconds(watched.output), without = try microseconds(unwatched.output)
        FileHandle.standardError.write(Data(String(format: "\nnetwork watch cost: 2000 socket() calls %.0f ms watched, %.0f ms unwatched: %.1f µs per reported call\n",
                                                   withWatch / 1000, without / 1000, (withWatch - without) / 2000).utf8))

        // Start-up: the same sandbox running /usr/bin/true, behind the watcher and directly.
        let own = try XCTUnwrap(displays.last)
        func startUp(_ watcher: NetworkWatcher) throws -> Double {
            let app = try app("name = \"start\"\n[app]\ncommand = [\"/usr/bin/true\"]\n", on: own, watcher: watcher)
            var times: [Double] = []
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                try app.start()
                XCTAssertEqual(try app.waitForExit(timeout: 20).status, 0, app.errorOutput)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times.sorted()[2]
        }
        let startWatched = try startUp(.locate()), startDirect = try startUp(.unavailable("measuring without"))
        FileHandle.standardError.write(Data(String(format: "network watch cost: sandbox start-up to exit of /usr/bin/true, median of 5: %.1f ms watched, %.1f ms direct\n",
                                                   startWatched, startDirect).utf8))
    }

    /// Ways around the filter are closed: io_uring_setup fails with ENOSYS (its socket operations never
    /// pass seccomp), and an x32 system call (nr | 0x40000000) kills the caller (SIGSYS). Unwatched,
    /// the same calls reach the kernel (EFAULT for io_uring_setup's NULL parameters).
    func testCallsThatWouldBypassTheFilterAreRefused() throws {
        let script = "/usr/bin/perl -e 'syscall(425, 1, 0); print 0 + $!, \"\\n\"'; "
            + "/usr/bin/perl -e 'syscall(0x40000000 | 41, 2, 1, 0); print \"survived\\n\"'; echo \"x32=$?\""
        let watched = try rehearse(script)
        XCTAssertEqual(watched.output.split(separator: "\n"), ["38", "x32=159"], "ENOSYS, then 128 + SIGSYS")
        let unwatched = try rehearse(script, watcher: .unavailable("comparing"))
        XCTAssertEqual(unwatched.output.split(separator: "\n").first, "14")
        XCTAssertTrue(unwatched.output.contains("survived"), unwatched.output)
    }

    /// Hostile arguments are recorded, not trusted, and never trap the supervisor: an address pointer
    /// into nothing, a descriptor that is not open (the family then cannot be learnt from the kernel:
    /// counted as network), an address length beyond sockaddr_storage.
    func testHostileConnectArgumentsAreRecordedWithNotes() throws {
        let (effects, exit, output) = try rehearse("""
            /usr/bin/perl -MSocket -e 'socket(S, PF_INET, SOCK_STREAM, 0) or exit 3;
              syscall(42, fileno(S), 0xdead0000, 16); syscall(42, 999, 0xdead0000, 16);
              my $a = pack_sockaddr_un("/x"); syscall(42, 999, $a, 100000); print "done\\n"'
            """)
        XCTAssertEqual(exit.status, 0, output)
        XCTAssertEqual(output, "done\n")
        let n = effects.network
        XCTAssertEqual(n.attempts.map(\.summary), ["socket inet stream by /usr/bin/perl", "connect inet by /usr/bin/perl",
                                                   "connect unknown by /usr/bin/perl"])
        XCTAssertEqual(n.attempts[1].note, "address unreadable: Bad address")
        XCTAssertEqual(n.attempts[2].note, "address unreadable: Bad address; family unknown: counted as network")
        XCTAssertEqual(n.localCalls.map(\.summary), ["connect unix /x by /usr/bin/perl"])
        XCTAssertEqual(n.localCalls.first?.note,
                       "address length 100000 exceeds sockaddr_storage (the kernel refuses it); socket family from the address (the descriptor was unreadable: Bad file descriptor)")
    }
}
