// A sandbox definition: what application runs on a display, with what environment and seed state,
// under which isolation settings, and how its state is checkpointed and undone. Decoded strictly from
// the TOML files in `Sandboxes/` (schema: README.md in this folder; parsing: SandboxDefinition+Parsing).
// The same definition drives the live display and the rehearsal display, so both start from the same
// seed and run the same argv.

import Foundation

public struct SandboxDefinition: Equatable, Sendable, Codable {
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
    /// What must hold after every live step; a step after which one fails is rolled back.
    public var postconditions: Postconditions = Postconditions()
    /// The file the definition was read from, when it was read from one.
    public var sourceFile: String?

    public struct App: Equatable, Sendable, Codable {
        /// argv; never a shell string. argv[0] is looked up on the sandbox's PATH (/usr/bin:/bin).
        public var command: [String]
        /// Added to the launcher's fixed environment; everything else from the host is cleared.
        public var environment: [String: String]
    }

    public struct Screen: Equatable, Sendable, Codable {
        public var width: Int
        public var height: Int
        public var depth: Int
    }

    public struct Home: Equatable, Sendable, Codable {
        /// Absolute host path of the seed folder (resolved against the definition's folder), or nil
        /// for an empty home.
        public var seed: String?
        /// Where the home copy is mounted inside the sandbox (`/home/user`); also `HOME`.
        public var mount: String
        /// Folders (relative to the home, `.` for all of it) where the application may write. Writes
        /// elsewhere in the home are reported as outside the permitted folders, for the policy to judge.
        public var permittedWrites: [String]
    }

    public struct Isolation: Equatable, Sendable, Codable {
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

    /// Checks after each live step (`[postconditions]`); none by default.
    public struct Postconditions: Equatable, Sendable, Codable {
        /// The application is still running (a crash, or a dialog that closed it, fails the step).
        public var appRunning = false
        /// Every file the step created, changed or deleted in the home lies in `permitted_writes`.
        public var writesPermitted = false
        /// A program run in the application's sandbox on the live home (argv, no shell); exit 0 holds.
        public var check: [String]?
        public var checkTimeout: Double = 10

        public init() {}
        public var isEmpty: Bool { !appRunning && !writesPermitted && check == nil }
    }

    public enum NetworkAccess: String, Equatable, Sendable, Codable {
        /// A fresh network namespace with only a loopback interface (the default).
        case none
        /// The host's network namespace. Must be asked for explicitly; the isolation check then fails,
        /// since the other displays' abstract sockets become reachable.
        case host
    }

    public enum CheckpointStrategy: Equatable, Sendable, Codable {
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

    /// SHA-256 of the definition's canonical form (sorted-key JSON of the decoded values, without the
    /// file it came from): the "sandbox hash" of the audit's session-start record. Two files that
    /// differ only in key order, comments or whitespace have the same digest. The seed folder's
    /// content is not included; hash its manifest (`SandboxHome.snapshot()`) for that.
    public func canonicalDigest() throws -> String {
        var copy = self
        copy.sourceFile = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return FileDigest.hex(try encoder.encode(copy)) } catch {
            throw SandboxError.invalidValue(path: name, reason: "cannot encode the definition: \(error)")
        }
    }

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
