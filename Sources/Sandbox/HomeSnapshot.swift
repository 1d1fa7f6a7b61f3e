// A manifest of the sandbox home: every entry by path relative to the home, with its type, size,
// mode, modification time and, for regular files, the SHA-256 of its content. Two manifests give the
// files an action created, changed or deleted.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct HomeEntry: Equatable, Sendable, Codable {
    public enum Kind: String, Equatable, Sendable, Codable { case file, directory, symlink, other }
    public var kind: Kind
    public var size: Int64
    /// Permission bits (st_mode & 0o7777).
    public var mode: UInt32
    /// Modification time, nanoseconds since the epoch.
    public var modified: Int64
    /// Regular files only.
    public var sha256: String?
    /// Symlinks only.
    public var linkTarget: String?
    /// (device, inode, ctime in ns): lets a later snapshot reuse this entry's hash when none of them,
    /// nor size or mtime, changed. ctime cannot be set by the application, so a write that restores
    /// the old mtime still gets rehashed.
    var reuseKey: [Int64]

    /// Same content and metadata for the purpose of a diff: type, content (hash or link target),
    /// permissions. A change of mtime alone (`touch`) is not a change of the file.
    func sameContent(as other: HomeEntry) -> Bool {
        kind == other.kind && mode == other.mode && sha256 == other.sha256 && linkTarget == other.linkTarget
            && (kind == .directory || size == other.size)
    }
}

public struct HomeSnapshot: Equatable, Sendable, Codable {
    /// Relative path (no leading `./`) → entry. The home folder itself is not listed.
    public var entries: [String: HomeEntry]
    public var takenAt: Date
    /// Files hashed for this snapshot (the rest were reused from the previous one).
    public var filesHashed: Int
}

/// What changed in the home between two snapshots. Paths are relative to the home and sorted.
public struct HomeDiff: Equatable, Sendable, Codable {
    public var created: [String]
    public var changed: [String]
    public var deleted: [String]

    public init(created: [String] = [], changed: [String] = [], deleted: [String] = []) {
        self.created = created
        self.changed = changed
        self.deleted = deleted
    }

    public var isEmpty: Bool { created.isEmpty && changed.isEmpty && deleted.isEmpty }
    public var all: [String] { (created + changed + deleted).sorted() }

    public static func between(_ before: HomeSnapshot, _ after: HomeSnapshot) -> HomeDiff {
        var diff = HomeDiff()
        for (path, entry) in after.entries {
            if let old = before.entries[path] {
                if !old.sameContent(as: entry) { diff.changed.append(path) }
            } else {
                diff.created.append(path)
            }
        }
        for path in before.entries.keys where after.entries[path] == nil { diff.deleted.append(path) }
        diff.created.sort(); diff.changed.sort(); diff.deleted.sort()
        return diff
    }
}

enum HomeScanner {
    /// Walks `root` without following symlinks. `previous` supplies hashes for unchanged files.
    static func snapshot(of root: String, reusing previous: HomeSnapshot?) throws -> HomeSnapshot {
        var entries: [String: HomeEntry] = [:]
        var toHash: [(path: String, size: Int64)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
                throw SandboxError.homeFailed(path: folder, reason: error.localizedDescription)
            }
            for name in names {
                let rel = relative.isEmpty ? name : relative + "/" + name
                let full = root + "/" + rel
                var st = stat()
                guard lstat(full, &st) == 0 else {
                    if errno == ENOENT { continue }  // removed while we walked
                    throw SandboxError.homeFailed(path: full, reason: String(cString: strerror(errno)))
                }
                let format = st.st_mode & S_IFMT
                let kind: HomeEntry.Kind = format == S_IFREG ? .file : format == S_IFDIR ? .directory
                    : format == S_IFLNK ? .symlink : .other
                let modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
                let changedAt = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
                var entry = HomeEntry(kind: kind, size: Int64(st.st_size), mode: UInt32(st.st_mode & 0o7777),
                                      modified: modified, sha256: nil, linkTarget: nil,
                                      reuseKey: [Int64(st.st_dev), Int64(st.st_ino), changedAt, Int64(st.st_size), modified])
                switch kind {
                case .file:
                    if let old = previous?.entries[rel], old.kind == .file, old.reuseKey == entry.reuseKey {
                        entry.sha256 = old.sha256
                    } else {
                        toHash.append((rel, entry.size))
                    }
                case .symlink:
                    do { entry.linkTarget = try FileManager.default.destinationOfSymbolicLink(atPath: full) } catch {
                        // Removed while we walked, as above; any other failure would make two different
                        // links compare equal (neither with a target), so a diff could miss a change.
                        if lstat(full, &st) != 0 && errno == ENOENT { continue }
                        throw SandboxError.homeFailed(path: full, reason: "cannot read the link: \(error.localizedDescription)")
                    }
                case .directory:
                    pending.append(rel)
                case .other:
                    break
                }
                entries[rel] = entry
            }
        }
        for (rel, hash) in try hashes(of: toHash.map(\.path), in: root) {
            entries[rel]?.sha256 = hash
        }
        return HomeSnapshot(entries: entries, takenAt: Date(), filesHashed: toHash.count)
    }

    static func hashes(of paths: [String], in root: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for rel in paths {
            do {
                out.append((rel, try FileDigest.hex(fileAt: root + "/" + rel)))
            } catch where !FileManager.default.fileExists(atPath: root + "/" + rel) {
                // A file removed while we walked keeps no hash; it is gone from the next snapshot.
            }
        }
        return out
    }
}
