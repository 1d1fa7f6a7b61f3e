// A sandbox definition: what application runs on a display, with what environment and seed state,
// under which isolation settings, and how its state is checkpointed and undone. Decoded strictly from
// the TOML files in `Sandboxes/` (schema: README.md in this folder; parsing: SandboxDefinition+Parsing).
// The same definition drives the live display and the rehearsal display, so both start from the same
// seed and run the same argv.

import Foundation

public struct SandboxDefinition: Equatable, Sendable {
    /// Short identifier (`mousepad`), used in audit records and temp folder names.
    public var name: String
    public var description: String?
    public var app: App
    public var screen: Screen
    public var home: Home
    public var isolation: Isolation
    /// The application's own undo chord (`ctrl+z`), kept as text: Actions.KeyChord parses it, and
    /// Sandbox does not import Actions. Nil when the application has none worth trusting.
    public var undoChord: String?
    public var checkpoint: CheckpointStrategy
    /// The file the definition was read from, when it was read from one.
    public var sourceFile: String?

    public struct App: Equatable, Sendable {
        /// argv; never a shell string. argv[0] is looked up on the sandbox's PATH (/usr/bin:/bin).
        public var command: [String]
        /// Added to the launcher's fixed environment; everything else from the host is cleared.
        public var environment: [String: String]
    }

    public struct Screen: Equatable, Sendable {
        public var width: Int
        public var height: Int
        public var depth: Int
    }

    public struct Home: Equatable, Sendable {
        /// Absolute host path of the seed folder (resolved against the definition's folder), or nil
        /// for an empty home.
        public var seed: String?
        /// Where the home copy is mounted inside the sandbox (`/home/user`); also `HOME`.
        public var mount: String
        /// Folders (relative to the home, `.` for all of it) where the application may write. Writes
        /// elsewhere in the home are reported as outside the permitted folders, for the policy to judge.
        public var permittedWrites: [String]
    }

    public struct Isolation: Equatable, Sendable {
        public var network: NetworkAccess
        /// The user and group the application runs as inside its user namespace.
        public var uid: Int
        public var gid: Int
        /// Entries of the host's /etc bound read-only (when they exist). Not all of /etc: it holds
        /// credentials and host configuration the application has no need to see.
        public var etc: [String]
        /// Further host paths bound read-only at the same place. Each one widens the sandbox; the
        /// isolation check still runs against the result.
        public var readOnlyBinds: [String]
    }

    public enum NetworkAccess: String, Equatable, Sendable, Codable {
        /// A fresh network namespace with only a loopback interface (the default).
        case none
        /// The host's network namespace. Must be asked for explicitly; the isolation check then fails,
        /// since the other displays' abstract sockets become reachable.
        case host
    }

    public enum CheckpointStrategy: Equatable, Sendable {
        /// No checkpoints: a failed step can only be compensated, not restored.
        case none
        /// The built-in strategy: copy the sandbox home aside (reflink when the filesystem can) and
        /// put it back exactly on restore.
        case copyHome(restartAfterRestore: Bool)
        /// The definition's own programs (argv), run on the host with UNDERSTUDY_SANDBOX_HOME and
        /// UNDERSTUDY_CHECKPOINT_DIR set.
        case hooks(save: [String], restore: [String], restartAfterRestore: Bool)

        public var restartAfterRestore: Bool {
            switch self {
            case .none: return false
            case .copyHome(let r), .hooks(_, _, let r): return r
            }
        }
    }

    /// What the launcher puts in every sandbox's environment before the definition's own variables.
    /// GTK applications start without a session bus, accessibility bus or dconf, and keep their
    /// caches on the private /tmp so they do not show up as writes in the home.
    public static let baseEnvironment: [String: String] = [
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "NO_AT_BRIDGE": "1",
        "GTK_A11Y": "none",
        "DBUS_SESSION_BUS_ADDRESS": "disabled:",
        "GSETTINGS_BACKEND": "memory",
        "XDG_CACHE_HOME": "/tmp/.cache",
        "XDG_RUNTIME_DIR": "/tmp/runtime",
    ]

    /// Variables the launcher owns; a definition may not set them.
    public static let reservedEnvironment: Set<String> = ["HOME", "DISPLAY", "XAUTHORITY"]

    public static let defaultEtc = [
        "passwd", "group", "nsswitch.conf", "ld.so.cache", "fonts", "localtime", "xdg", "gtk-3.0", "mime.types",
    ]

    /// The permitted-folder test the policy needs: is `relativePath` (relative to the home) inside
    /// one of the permitted folders?
    public func permitsWrite(to relativePath: String) -> Bool {
        let parts = relativePath.split(separator: "/").map(String.init)
        for folder in home.permittedWrites {
            if folder == "." { return true }
            let prefix = folder.split(separator: "/").map(String.init)
            if parts.count >= prefix.count && Array(parts.prefix(prefix.count)) == prefix { return true }
        }
        return false
    }
}
