// Strict decoding of a sandbox definition (schema: README.md). Parse → validate in one pass: every key
// is read through TOMLReader, unknown keys are rejected with their path, and values are checked here
// once so the launcher can trust them.

import Foundation
import StrictTOML

extension SandboxDefinition {
    /// Reads and validates a definition file. A relative `home.seed` is resolved against the file's folder.
    public static func load(contentsOf path: String) throws -> SandboxDefinition {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SandboxError.definitionUnreadable(path: path, reason: error.localizedDescription)
        }
        let folder = (path as NSString).deletingLastPathComponent
        let base = folder.isEmpty ? FileManager.default.currentDirectoryPath : folder
        var definition = try SandboxDefinition(toml: text, baseDirectory: base, file: path)
        definition.sourceFile = path
        return definition
    }

    /// Decodes a definition from TOML text; `baseDirectory` resolves a relative seed folder.
    public init(toml text: String, baseDirectory: String, file: String = "<definition>") throws {
        do {
            self = try Self.parse(text, baseDirectory: baseDirectory, file: file)
        } catch let error as TOMLSchemaError {
            throw SandboxError(error, file: file)
        }
    }

    private static func parse(_ text: String, baseDirectory: String, file: String) throws -> SandboxDefinition {
        var root = try TOMLReader(parsing: text, file: file)
        let name = try root.requiredString("name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw SandboxError.invalidValue(path: "name", reason: "use letters, digits, - and _ only")
        }
        let description = try root.string("description")

        guard var appReader = try root.table("app") else { throw SandboxError.missingKey(path: "app") }
        let app = try Self.parseApp(&appReader)
        let screen = try Self.parseScreen(try root.table("screen"))
        let home = try Self.parseHome(try root.table("home"), baseDirectory: baseDirectory)
        let isolation = try Self.parseIsolation(try root.table("isolation"))

        var undoChord: String?
        if var undo = try root.table("undo") {
            if let chord = try undo.string("chord") {
                guard !chord.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw SandboxError.invalidValue(path: "undo.chord", reason: "must not be empty")
                }
                undoChord = chord
            }
            try undo.finish()
        }
        let checkpoint = try Self.parseCheckpoint(try root.table("checkpoint"))
        let postconditions = try Self.parsePostconditions(try root.table("postconditions"))
        try root.finish()

        return SandboxDefinition(name: name, description: description, app: app, screen: screen, home: home,
                                 isolation: isolation, undoChord: undoChord, checkpoint: checkpoint,
                                 postconditions: postconditions, sourceFile: nil)
    }

    private static func parsePostconditions(_ reader: TOMLReader?) throws -> Postconditions {
        var p = Postconditions()
        guard var r = reader else { return p }
        p.appRunning = try r.bool("app_running") ?? false
        p.writesPermitted = try r.bool("writes_permitted") ?? false
        if let check = try r.strings("check") {
            guard let first = check.first, !first.isEmpty else {
                throw SandboxError.invalidValue(path: "postconditions.check", reason: "an argv with a program first")
            }
            p.check = check
        }
        if let timeout = try r.number("check_timeout") {
            guard timeout > 0, timeout <= 300 else {
                throw SandboxError.invalidValue(path: "postconditions.check_timeout", reason: "seconds in (0, 300]")
            }
            p.checkTimeout = timeout
        }
        try r.finish()
        guard !p.isEmpty else { throw SandboxError.invalidValue(path: "postconditions", reason: "empty table: name at least one check") }
        return p
    }

    private static func parseApp(_ r: inout TOMLReader) throws -> App {
        guard let command = try r.stringArray("command") else { throw SandboxError.missingKey(path: "app.command") }
        guard let program = command.first, !program.isEmpty else {
            throw SandboxError.invalidValue(path: "app.command", reason: "needs at least the program to run")
        }
        for (i, arg) in command.enumerated() where arg.contains("\0") {
            throw SandboxError.invalidValue(path: "app.command[\(i)]", reason: "contains a NUL byte")
        }
        let environment = try r.stringTable("environment") ?? [:]
        for (key, value) in environment {
            let path = "app.environment.\(key)"
            guard !key.isEmpty, !key.contains("="), !key.contains("\0"), !value.contains("\0") else {
                throw SandboxError.invalidValue(path: path, reason: "not a valid environment variable")
            }
            guard !reservedEnvironment.contains(key) else {
                throw SandboxError.invalidValue(path: path, reason: "set by the launcher; a definition may not override it")
            }
        }
        try r.finish()
        return App(command: command, environment: environment)
    }

    private static func parseScreen(_ reader: TOMLReader?) throws -> Screen {
        guard var r = reader else { return Screen(width: 1280, height: 800, depth: 24) }
        let width = try r.int("width", range: 64...8192) ?? 1280
        let height = try r.int("height", range: 64...8192) ?? 800
        let depth = try r.int("depth", range: 8...24) ?? 24
        guard [8, 16, 24].contains(depth) else {
            throw SandboxError.invalidValue(path: "screen.depth", reason: "must be 8, 16 or 24")
        }
        try r.finish()
        return Screen(width: width, height: height, depth: depth)
    }

    private static func parseHome(_ reader: TOMLReader?, baseDirectory: String) throws -> Home {
        guard var r = reader else { return Home(seed: nil, mount: "/home/user", permittedWrites: []) }
        var seed: String?
        if let s = try r.string("seed") {
            guard !s.isEmpty else { throw SandboxError.invalidValue(path: "home.seed", reason: "must not be empty") }
            let resolved = s.hasPrefix("/") ? s : (baseDirectory as NSString).appendingPathComponent(s)
            seed = (resolved as NSString).standardizingPath
        }
        let mount = try r.string("mount") ?? "/home/user"
        try validateMount(mount)
        let permitted = try r.stringArray("permitted_writes") ?? []
        for (i, folder) in permitted.enumerated() {
            let parts = folder.split(separator: "/", omittingEmptySubsequences: false)
            guard !folder.isEmpty, !folder.hasPrefix("/"), !parts.contains(".."),
                  folder == "." || !parts.contains(".") && !parts.contains("") else {
                throw SandboxError.invalidValue(path: "home.permitted_writes[\(i)]",
                                                reason: "must be a folder relative to the home (\".\" for all of it), without ..")
            }
        }
        try r.finish()
        return Home(seed: seed, mount: mount, permittedWrites: permitted)
    }

    /// The home mount must be a plain absolute path that does not shadow a system folder the
    /// launcher binds itself.
    static func validateMount(_ mount: String) throws {
        let parts = mount.split(separator: "/").map(String.init)
        guard mount.hasPrefix("/"), !parts.isEmpty, !parts.contains(".."), !parts.contains("."),
              let top = parts.first,
              !["usr", "lib", "lib64", "bin", "sbin", "etc", "proc", "dev", "tmp", "var", "run", "sys"].contains(top) else {
            throw SandboxError.invalidValue(path: "home.mount",
                                            reason: "must be an absolute path outside the system folders (e.g. /home/user)")
        }
    }

    private static func parseIsolation(_ reader: TOMLReader?) throws -> Isolation {
        var isolation = Isolation(network: .none, uid: 1000, gid: 1000, etc: defaultEtc, readOnlyBinds: [])
        guard var r = reader else { return isolation }
        if let network = try r.string("network") {
            guard let access = NetworkAccess(rawValue: network) else {
                throw SandboxError.invalidValue(path: "isolation.network", reason: "must be \"none\" or \"host\"")
            }
            isolation.network = access
        }
        isolation.uid = try r.int("uid", range: 0...65534) ?? 1000
        isolation.gid = try r.int("gid", range: 0...65534) ?? 1000
        if let etc = try r.stringArray("etc") {
            for (i, entry) in etc.enumerated() where entry.isEmpty || entry.hasPrefix("/") || entry.split(separator: "/").contains("..") {
                throw SandboxError.invalidValue(path: "isolation.etc[\(i)]", reason: "must be a name inside /etc")
            }
            isolation.etc = etc
        }
        if let binds = try r.stringArray("ro_binds") {
            for (i, bind) in binds.enumerated() where !bind.hasPrefix("/") || bind.split(separator: "/").contains("..") {
                throw SandboxError.invalidValue(path: "isolation.ro_binds[\(i)]", reason: "must be an absolute host path without ..")
            }
            isolation.readOnlyBinds = binds
        }
        try r.finish()
        return isolation
    }

    private static func parseCheckpoint(_ reader: TOMLReader?) throws -> CheckpointStrategy {
        guard var r = reader else { return .copyHome(restartAfterRestore: true) }
        let strategy = try r.string("strategy") ?? "copy-home"
        let restart = try r.bool("restart_after_restore") ?? true
        let save = try r.stringArray("save")
        let restore = try r.stringArray("restore")
        try r.finish()
        switch strategy {
        case "none":
            guard save == nil, restore == nil else {
                throw SandboxError.invalidValue(path: "checkpoint", reason: "save/restore hooks need strategy = \"hooks\"")
            }
            return .none
        case "copy-home":
            guard save == nil, restore == nil else {
                throw SandboxError.invalidValue(path: "checkpoint", reason: "save/restore hooks need strategy = \"hooks\"")
            }
            return .copyHome(restartAfterRestore: restart)
        case "hooks":
            guard let save else { throw SandboxError.missingKey(path: "checkpoint.save") }
            guard let restore else { throw SandboxError.missingKey(path: "checkpoint.restore") }
            guard save.first.map({ !$0.isEmpty }) == true else {
                throw SandboxError.invalidValue(path: "checkpoint.save", reason: "needs at least the program to run")
            }
            guard restore.first.map({ !$0.isEmpty }) == true else {
                throw SandboxError.invalidValue(path: "checkpoint.restore", reason: "needs at least the program to run")
            }
            return .hooks(save: save, restore: restore, restartAfterRestore: restart)
        default:
            throw SandboxError.invalidValue(path: "checkpoint.strategy", reason: "must be \"copy-home\", \"hooks\" or \"none\"")
        }
    }
}
