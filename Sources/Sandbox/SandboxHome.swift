// The sandbox's home: a private copy of the definition's seed folder that the application gets
// read-write and the supervisor can inspect (snapshots), checkpoint, restore and discard.
//
// Layout, all under one folder of mode 0700:
//   <root>/home                    bound into the sandbox at the definition's mount point
//   <root>/checkpoints/<n>-<label> copies of the home (copy-home) or the hooks' own folders
//
// Copies use `cp -a --reflink=auto` (argv, no shell): a reflink (copy-on-write clone, cheap) on
// filesystems that can (btrfs, XFS), a full copy elsewhere; `copyMethod` says which was found.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class SandboxHome {
    public enum CopyMethod: String, Equatable, Sendable, Codable { case reflink, fullCopy = "full-copy" }

    /// The private folder that holds the home and its checkpoints.
    public let root: String
    /// Host path of the home copy.
    public let path: String
    public let copyMethod: CopyMethod
    private var checkpointCount = 0

    /// Makes a fresh home from `seed` (nil: an empty home) in a new 0700 folder under `base`
    /// (default: the temporary directory).
    public init(seed: String?, name: String, base: String? = nil) throws {
        let parent = base ?? NSTemporaryDirectory()
        var template = Array(((parent as NSString).appendingPathComponent("understudy-\(name)-XXXXXX")).utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw SandboxError.homeFailed(path: parent, reason: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        root = String(cString: template)
        chmod(root, 0o700)
        path = root + "/home"
        copyMethod = Self.probeReflink(in: root)
        if let seed {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: seed, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SandboxError.seedMissing(path: seed)
            }
            try CommandRunner.check(["/usr/bin/cp", "-a", "--reflink=auto", "--", seed, path])
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) } catch {
                throw SandboxError.homeFailed(path: path, reason: error.localizedDescription)
            }
        }
        chmod(path, 0o700)
    }

    /// The manifest of the home now. Pass the previous snapshot to skip rehashing unchanged files.
    public func snapshot(reusing previous: HomeSnapshot? = nil) throws -> HomeSnapshot {
        try HomeScanner.snapshot(of: path, reusing: previous)
    }

    /// Removes the home and its checkpoints.
    public func discard() throws {
        do { try FileManager.default.removeItem(atPath: root) } catch {
            throw SandboxError.homeFailed(path: root, reason: error.localizedDescription)
        }
    }

    // MARK: Checkpoints

    /// Saves the home's state before a step, with the definition's strategy.
    public func checkpoint(_ strategy: SandboxDefinition.CheckpointStrategy, label: String) throws -> HomeCheckpoint {
        checkpointCount += 1
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(40))
        let id = "\(checkpointCount)-\(safeLabel)"
        let directory = root + "/checkpoints/" + id
        let manifest = try snapshot()
        let start = Date()
        switch strategy {
        case .none:
            throw SandboxError.restoreFailed(checkpoint: id, reason: "the definition has no checkpoint strategy")
        case .copyHome:
            try makeFolder(root + "/checkpoints")
            try CommandRunner.check(["/usr/bin/cp", "-a", "--reflink=auto", "--", path, directory])
        case .hooks(let save, _, _):
            try makeFolder(directory)
            try runHook(save, checkpointDirectory: directory)
        }
        return HomeCheckpoint(id: id, label: label, directory: directory, manifest: manifest,
                              seconds: Date().timeIntervalSince(start))
    }

    /// Puts the home back as it was at `checkpoint`, then verifies it: afterwards the home's manifest
    /// must equal the checkpoint's, or this throws. Files created since the checkpoint are deleted.
    /// The home folder itself is kept (its inode is what the sandbox has bound).
    public func restore(_ checkpoint: HomeCheckpoint, strategy: SandboxDefinition.CheckpointStrategy) throws {
        switch strategy {
        case .none:
            throw SandboxError.restoreFailed(checkpoint: checkpoint.id, reason: "the definition has no checkpoint strategy")
        case .copyHome:
            try emptyHome()
            // "dir/." copies the folder's contents and its own mode and times onto the existing folder.
            try CommandRunner.check(["/usr/bin/cp", "-a", "--reflink=auto", "--", checkpoint.directory + "/.", path])
        case .hooks(_, let restore, _):
            try runHook(restore, checkpointDirectory: checkpoint.directory)
        }
        let now = try snapshot()
        let diff = HomeDiff.between(checkpoint.manifest, now)
        guard diff.isEmpty else {
            throw SandboxError.restoreFailed(checkpoint: checkpoint.id,
                                             reason: "home differs after restore: \(diff.all.prefix(5).joined(separator: ", "))")
        }
    }

    /// Runs a definition hook on the host with the home and checkpoint folders in its environment.
    func runHook(_ argv: [String], checkpointDirectory: String) throws {
        try CommandRunner.check(argv, environment: [
            "PATH": "/usr/bin:/bin",
            "UNDERSTUDY_SANDBOX_HOME": path,
            "UNDERSTUDY_CHECKPOINT_DIR": checkpointDirectory,
        ], timeout: 120)
    }

    private func emptyHome() throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw SandboxError.homeFailed(path: path, reason: error.localizedDescription)
        }
        for name in names {
            do { try FileManager.default.removeItem(atPath: path + "/" + name) } catch {
                throw SandboxError.homeFailed(path: path + "/" + name, reason: error.localizedDescription)
            }
        }
    }

    private func makeFolder(_ folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700]) } catch {
            throw SandboxError.homeFailed(path: folder, reason: error.localizedDescription)
        }
    }

    /// Whether this filesystem clones files: `cp --reflink=always` fails where it cannot.
    static func probeReflink(in folder: String) -> CopyMethod {
        let source = folder + "/.reflink-probe", target = folder + "/.reflink-probe-copy"
        defer { unlink(source); unlink(target) }
        guard FileManager.default.createFile(atPath: source, contents: Data("x".utf8)),
              let r = try? CommandRunner.run(["/usr/bin/cp", "--reflink=always", source, target], timeout: 10),
              r.status == 0 else { return .fullCopy }
        return .reflink
    }
}

/// A saved state of the home. `manifest` is what the home looked like when it was taken; a restore
/// is verified against it.
public struct HomeCheckpoint: Equatable, Sendable, Codable {
    public var id: String
    public var label: String
    public var directory: String
    public var manifest: HomeSnapshot
    /// How long taking it took.
    public var seconds: Double
}
