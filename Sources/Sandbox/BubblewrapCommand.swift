// The bubblewrap argv for one sandbox definition on one display. A pure value: the launcher, the
// isolation check's probes and the rehearsal sandbox all build their argv here, so a probe proves
// exactly what the application gets.
//
// What the application sees:
//   /usr (read-only), /bin /lib /lib64 /sbin as on the host (symlinks into /usr on Debian's merged-usr),
//   a few named /etc entries (read-only), /proc, a minimal /dev, a private tmpfs /tmp,
//   /tmp/.X11-unix/X<N> (the one display socket, bound as a file), /tmp/.Xauthority (the display's
//   cookie, read-only), the home copy read-write at the definition's mount point.
// Namespaces: all unshared (user, ipc, pid, net, uts, cgroup); in the new network namespace only `lo`
// exists, so neither TCP nor the abstract sockets `@/tmp/.X11-unix/X<M>` of other X servers (which live
// in the host's network namespace) can be reached. No capabilities; a new session (no TIOCSTI on the
// supervisor's terminal); killed when the supervisor dies.
// Network observation: the program runs behind /run/understudy/netwatch (the understudy-netwatch
// binary, bound read-only), which reports the program's socket(), connect() and sendto() calls to the
// supervisor through descriptor 3 before it executes the program (NetworkWatch.swift). It observes
// only; the empty network namespace is what refuses the attempts. Without the binary the program
// runs directly and the rehearsal reports its attempts as not observable.

import Foundation

/// One X display as the supervisor knows it: its number and the host path of its cookie file.
public struct DisplayEndpoint: Equatable, Sendable {
    public var number: Int
    /// Host path of an Xauthority file (mode 0600) holding this display's cookie.
    public var authorityFile: String

    public init(number: Int, authorityFile: String) {
        self.number = number
        self.authorityFile = authorityFile
    }

    public var name: String { ":\(number)" }
    /// The filesystem socket; the abstract one is the same path prefixed with NUL (`@` below).
    public var socketPath: String { "/tmp/.X11-unix/X\(number)" }
    public var abstractSocketName: String { "@/tmp/.X11-unix/X\(number)" }
}

public struct BubblewrapCommand: Equatable, Sendable {
    public var definition: SandboxDefinition
    public var display: DisplayEndpoint
    /// Host path of this sandbox's home copy.
    public var homePath: String
    public var bwrapPath: String
    /// The network watcher run in front of the program (NetworkWatch.swift), or why there is none;
    /// without it the program runs directly and its network attempts are not observable.
    public var watcher: NetworkWatcher
    /// False for programs that must reach no display (post-condition checks): neither the display's
    /// socket nor its cookie is bound in, and DISPLAY/XAUTHORITY are not set.
    public var withDisplay = true
    /// The home bound read-only (programs that only look at it).
    public var homeReadOnly = false

    /// Where the cookie appears inside the sandbox.
    public static let authorityMount = "/tmp/.Xauthority"

    public init(definition: SandboxDefinition, display: DisplayEndpoint, homePath: String,
                bwrapPath: String = "/usr/bin/bwrap", watcher: NetworkWatcher = .locate()) {
        self.definition = definition
        self.display = display
        self.homePath = homePath
        self.bwrapPath = bwrapPath
        self.watcher = watcher
    }

    /// The environment inside the sandbox: the fixed base, the definition's variables, then the
    /// launcher's own (HOME, DISPLAY, XAUTHORITY), which a definition cannot override.
    public var sandboxEnvironment: [String: String] {
        var env = SandboxDefinition.baseEnvironment
        for (k, v) in definition.app.environment { env[k] = v }
        env["HOME"] = definition.home.mount
        if withDisplay {
            env["DISPLAY"] = display.name
            env["XAUTHORITY"] = Self.authorityMount
        } else {
            env["DISPLAY"] = nil
            env["XAUTHORITY"] = nil
        }
        return env
    }

    /// The full argv (bwrap first) that runs `command` inside the sandbox; `command` defaults to the
    /// definition's application.
    public func argv(running command: [String]? = nil) -> [String] {
        let isolation = definition.isolation
        var a = [bwrapPath, "--unshare-all", "--unshare-user",
                 "--uid", String(isolation.uid), "--gid", String(isolation.gid),
                 "--cap-drop", "ALL", "--die-with-parent", "--new-session"]
        if isolation.network == .host { a += ["--share-net"] }

        a += ["--ro-bind", "/usr", "/usr"]
        for top in ["bin", "lib", "lib64", "sbin"] {
            let hostPath = "/" + top
            if let target = Self.symlinkTarget(hostPath) {
                a += ["--symlink", target, hostPath]
            } else {
                a += ["--ro-bind-try", hostPath, hostPath]
            }
        }
        for entry in isolation.etc { a += ["--ro-bind-try", "/etc/" + entry, "/etc/" + entry] }
        // The system font cache; without it every start rebuilds caches (seconds under GTK).
        a += ["--ro-bind-try", "/var/cache/fontconfig", "/var/cache/fontconfig"]
        a += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        a += ["--dir", "/tmp/.X11-unix", "--dir", "/tmp/.cache", "--dir", "/tmp/runtime"]
        if withDisplay {
            a += ["--bind", display.socketPath, display.socketPath]
            a += ["--ro-bind", display.authorityFile, Self.authorityMount]
        }
        a += [homeReadOnly ? "--ro-bind" : "--bind", homePath, definition.home.mount]
        for bind in isolation.readOnlyBinds { a += ["--ro-bind", bind, bind] }
        if let watcherPath = watcher.path { a += ["--ro-bind", watcherPath, NetworkWatcher.mountPoint] }

        a += ["--clearenv"]
        for (k, v) in sandboxEnvironment.sorted(by: { $0.key < $1.key }) { a += ["--setenv", k, v] }
        a += ["--chdir", definition.home.mount, "--"]
        if watcher.path != nil { a += [NetworkWatcher.mountPoint, String(NetworkWatcher.handoffDescriptor), "--"] }
        a += command ?? definition.app.command
        return a
    }

    static func symlinkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }
}
