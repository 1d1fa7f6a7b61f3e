// The start-up isolation check. The supervisor refuses to run unless every probe passes, and every
// probe runs INSIDE a sandbox built from the same BubblewrapCommand as the application (only the
// program differs), so it proves what the application will get:
//
//   own-display                 xdpyinfo on the sandbox's own display succeeds (the sandbox works at all)
//   network.loopback            a TCP listener the supervisor opens on the host's 127.0.0.1 is unreachable
//                               (so the network namespace is not the host's; no external traffic is made)
//   network.interfaces          the namespace has no interface but lo and no routes
//   display:M.abstract-socket   connect(@/tmp/.X11-unix/X<M>) fails for every other display M
//   display:M.socket-file       connect(/tmp/.X11-unix/X<M>) fails
//   display:M.xdpyinfo          an X client cannot open :M (tries both sockets)
//   display:M.cookie-file       M's cookie file cannot be opened for reading
//   display:M.cookie-not-shared (host side) the sandbox's cookie file holds none of M's secrets
//
// Socket and file probes are one fixed Perl script (perl-base is Essential in Debian, so it is in
// every /usr); it exits 10 for "blocked", 0 for "reached", anything else for "could not tell", and
// "could not tell" fails the check.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct IsolationProbe: Equatable, Sendable, Codable {
    public var name: String
    public var passed: Bool
    /// What was observed (the probe's output, an errno message, the interfaces seen).
    public var detail: String

    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}

public struct IsolationReport: Equatable, Sendable, Codable {
    public var probes: [IsolationProbe]
    public var passed: Bool { !probes.isEmpty && probes.allSatisfy(\.passed) }
    public var failures: [IsolationProbe] { probes.filter { !$0.passed } }

    /// Throws `isolationViolated` naming every failed probe; the caller stops there.
    public func requirePassed() throws {
        guard passed else {
            throw SandboxError.isolationViolated(failed: failures.map { "\($0.name): \($0.detail)" })
        }
    }
}

public struct IsolationCheck {
    /// The application's sandbox; the probes run with exactly these settings.
    public var command: BubblewrapCommand
    /// Displays the sandbox must not reach (the other trust domain: the rehearsal display for a live
    /// sandbox and vice versa, and the supervisor's own).
    public var otherDisplays: [DisplayEndpoint]
    public var probeTimeout: Double

    public init(command: BubblewrapCommand, otherDisplays: [DisplayEndpoint], probeTimeout: Double = 15) {
        self.command = command
        self.otherDisplays = otherDisplays
        self.probeTimeout = probeTimeout
    }

    static let probeScript = #"""
    use strict; use Socket;
    my ($mode, $arg) = @ARGV;
    if ($mode eq "tcp") {
        my ($host, $port) = split /:/, $arg;
        socket(my $s, PF_INET, SOCK_STREAM, 0) or do { print "socket: $!\n"; exit 3 };
        if (connect($s, pack_sockaddr_in($port, inet_aton($host)))) { print "connected to $arg\n"; exit 0 }
        print "blocked: $!\n"; exit 10;
    }
    if ($mode eq "unix") {
        (my $address = $arg) =~ s/^@/\0/;
        socket(my $s, PF_UNIX, SOCK_STREAM, 0) or do { print "socket: $!\n"; exit 3 };
        if (connect($s, pack_sockaddr_un($address))) { print "connected to $arg\n"; exit 0 }
        print "blocked: $!\n"; exit 10;
    }
    if ($mode eq "readable") {
        if (open(my $f, "<", $arg)) { print "opened $arg for reading\n"; exit 0 }
        print "blocked: $!\n"; exit 10;
    }
    if ($mode eq "interfaces") {
        open(my $dev, "<", "/proc/net/dev") or do { print "/proc/net/dev: $!\n"; exit 3 };
        my @interfaces; while (<$dev>) { push @interfaces, $1 if /^\s*([^:\s]+):/ }
        my @routes;
        if (open(my $route, "<", "/proc/net/route")) { <$route>; while (<$route>) { my @c = split; push @routes, "$c[0]/$c[1]" } }
        print "interfaces: @interfaces; routes: ", (@routes ? "@routes" : "none"), "\n";
        exit((grep { $_ ne "lo" } @interfaces) || @routes ? 0 : 10);
    }
    print "unknown probe $mode\n"; exit 4;
    """#

    /// Runs every probe. Throws only when a probe cannot be set up on the host (the loopback
    /// listener); a probe that runs but cannot tell is a failed probe in the report.
    public func run() throws -> IsolationReport {
        var probes: [IsolationProbe] = []
        let own = try runInside(["/usr/bin/xdpyinfo", "-display", command.display.name])
        probes.append(IsolationProbe(name: "own-display", passed: own.status == 0 && !own.signalled,
                                     detail: own.status == 0 ? "xdpyinfo \(command.display.name) works inside"
                                         : "xdpyinfo \(command.display.name) failed inside: \(Self.brief(own.output))"))

        let listener = try LoopbackListener()
        defer { listener.close() }
        var watched = ""
        let tcp = try perlProbe("tcp", "127.0.0.1:\(listener.port)") { watch in
            // Not a probe of its own: without the watcher the sandbox runs, unobserved (NetworkWatch.swift).
            let calls = watch.allCalls.filter { $0.scope == .network }
            watched = calls.isEmpty ? "; the network watch saw nothing (\(watch.state))" : "; the network watch saw " + calls.map(\.summary).joined(separator: ", ")
        }
        let accepted = listener.acceptedConnection()
        probes.append(IsolationProbe(name: "network.loopback", passed: tcp.passed && !accepted,
                                     detail: tcp.detail + (accepted ? " (the host listener accepted a connection)" : "") + watched))
        let interfaces = try perlProbe("interfaces", "")
        probes.append(IsolationProbe(name: "network.interfaces", passed: interfaces.passed, detail: interfaces.detail))

        for other in otherDisplays where other.number != command.display.number {
            let prefix = "display\(other.name)"
            let abstract = try perlProbe("unix", other.abstractSocketName)
            probes.append(IsolationProbe(name: prefix + ".abstract-socket", passed: abstract.passed, detail: abstract.detail))
            let file = try perlProbe("unix", other.socketPath)
            probes.append(IsolationProbe(name: prefix + ".socket-file", passed: file.passed, detail: file.detail))
            let x = try runInside(["/usr/bin/xdpyinfo", "-display", other.name])
            // Isolated only when xdpyinfo itself ran and said it could not connect; a probe that did not
            // run (missing binary, bwrap failure, timeout) proves nothing and fails the check.
            let refused = !x.signalled && x.status == 1 && x.output.contains("unable to open display")
            probes.append(IsolationProbe(name: prefix + ".xdpyinfo", passed: refused,
                                         detail: refused ? "cannot open \(other.name): \(Self.brief(x.output))"
                                             : x.status == 0 ? "xdpyinfo opened \(other.name) from inside"
                                             : "probe could not tell (exit \(x.status)\(x.signalled ? ", signalled" : "")): \(Self.brief(x.output))"))
            let cookie = try perlProbe("readable", other.authorityFile)
            probes.append(IsolationProbe(name: prefix + ".cookie-file", passed: cookie.passed, detail: cookie.detail))
            probes.append(cookieNotShared(with: other, name: prefix + ".cookie-not-shared"))
        }
        return IsolationReport(probes: probes)
    }

    /// Runs `argv` in the application's sandbox — behind the network watcher too when the application
    /// has one, so that the probes run the same argv; `seen` gets what the watch saw.
    private func runInside(_ argv: [String], seen: ((NetworkWatch) -> Void)? = nil) throws -> CommandResult {
        let full = command.argv(running: argv)
        guard command.watcher.path != nil else { return try CommandRunner.run(full, timeout: probeTimeout) }
        let watch = try NetworkWatch()
        let result = try CommandRunner.run(full, timeout: probeTimeout, watch: watch)
        watch.stop()
        seen?(watch)
        return result
    }

    private func perlProbe(_ mode: String, _ argument: String, seen: ((NetworkWatch) -> Void)? = nil) throws -> (passed: Bool, detail: String) {
        let r = try runInside(["/usr/bin/perl", "-e", Self.probeScript, mode, argument], seen: seen)
        let what = mode == "interfaces" ? "" : " \(argument)"
        switch r.status {
        case 10 where !r.signalled: return (true, "\(mode)\(what): \(Self.brief(r.output))")
        case 0 where !r.signalled: return (false, "\(mode)\(what): \(Self.brief(r.output))")
        default: return (false, "\(mode)\(what): probe could not tell (status \(r.status)): \(Self.brief(r.output))")
        }
    }

    /// Host side: the cookie file the sandbox gets must not carry any secret of the other display.
    private func cookieNotShared(with other: DisplayEndpoint, name: String) -> IsolationProbe {
        guard let ownData = FileManager.default.contents(atPath: command.display.authorityFile),
              let otherData = FileManager.default.contents(atPath: other.authorityFile) else {
            return IsolationProbe(name: name, passed: false, detail: "cannot read the cookie files on the host to compare")
        }
        let ownSecrets = Set(XAuthority.entries(in: ownData).map(\.data))
        let shared = XAuthority.entries(in: otherData).filter { !$0.data.isEmpty && ownSecrets.contains($0.data) }
        return IsolationProbe(name: name, passed: shared.isEmpty,
                              detail: shared.isEmpty ? "the sandbox's cookie file holds no secret of \(other.name)"
                                  : "the sandbox's cookie file holds \(other.name)'s secret")
    }

    static func brief(_ text: String) -> String {
        let line = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " | ")
        return String(line.prefix(200))
    }
}

/// Entries of an Xauthority file: each is family (2 bytes) then four counted strings (address,
/// display number, auth name, auth data), counts big-endian 16-bit. A truncated tail is ignored.
enum XAuthority {
    struct Entry { var family: UInt16; var address: [UInt8]; var number: String; var name: String; var data: [UInt8] }

    static func entries(in data: Data) -> [Entry] {
        let bytes = [UInt8](data)
        var i = 0, out: [Entry] = []
        func counted() -> [UInt8]? {
            guard i + 2 <= bytes.count else { return nil }
            let n = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard i + 2 + n <= bytes.count else { return nil }
            defer { i += 2 + n }
            return Array(bytes[(i + 2)..<(i + 2 + n)])
        }
        while i + 2 <= bytes.count {
            let family = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            i += 2
            guard let address = counted(), let number = counted(), let name = counted(), let secret = counted() else { break }
            out.append(Entry(family: family, address: address, number: String(decoding: number, as: UTF8.self),
                             name: String(decoding: name, as: UTF8.self), data: secret))
        }
        return out
    }
}

/// A TCP listener on the host's 127.0.0.1 and an ephemeral port, for the network probe: reaching it
/// from inside would mean the sandbox shares the host's network namespace.
final class LoopbackListener {
    private var fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SandboxError.probeSetupFailed(reason: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw SandboxError.probeSetupFailed(reason: "loopback listener: \(reason)")
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Whether a connection is waiting (non-blocking accept).
    func acceptedConnection() -> Bool {
        let client = accept(fd, nil, nil)
        if client >= 0 { Glibc.close(client); return true }
        return false
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
