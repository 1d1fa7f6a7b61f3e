// The processes inside a sandbox: every descendant of the bwrap process, found through the parent
// pid in /proc/<pid>/stat (the host's pids; the sandbox's pid namespace does not hide them from the
// supervisor). A rehearsal compares two listings to find the processes an action spawned.

import Foundation

/// How an executable path was learned. `/proc/<pid>/exe` is the kernel's answer; across a user
/// namespace it can be unreadable, and then argv[0] (which the process controls) or comm is all there is.
public enum ExecutableSource: String, Equatable, Sendable, Codable {
    case exe, cmdline, comm
}

public struct SandboxProcess: Equatable, Hashable, Sendable, Codable {
    public var pid: Int32
    public var parentPid: Int32
    /// Start time in clock ticks since boot (field 22 of stat): with the pid, identifies the process
    /// even when pids are reused.
    public var startTime: UInt64
    public var executable: String
    public var executableSource: ExecutableSource
    public var arguments: [String]

    /// The process's identity across listings.
    public var identity: String { "\(pid)@\(startTime)" }
}

public struct ProcessWatcher: Sendable {
    /// The pid whose descendants are watched (the bwrap process).
    public var rootPid: Int32
    public var procRoot: String

    public init(rootPid: Int32, procRoot: String = "/proc") {
        self.rootPid = rootPid
        self.procRoot = procRoot
    }

    /// Every living descendant of `rootPid` (not the root itself), sorted by pid. Processes that exit
    /// while they are being read are skipped.
    public func descendants() throws -> [SandboxProcess] {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: procRoot) } catch {
            throw SandboxError.procUnreadable(path: procRoot, reason: error.localizedDescription)
        }
        var stats: [Int32: (ppid: Int32, start: UInt64, comm: String)] = [:]
        for entry in entries {
            guard let pid = Int32(entry), let stat = readStat(pid) else { continue }
            stats[pid] = stat
        }
        var children: [Int32: [Int32]] = [:]
        for (pid, s) in stats { children[s.ppid, default: []].append(pid) }

        var found: [SandboxProcess] = []
        var queue = children[rootPid] ?? []
        var seen: Set<Int32> = [rootPid]
        while let pid = queue.popLast() {
            guard seen.insert(pid).inserted, let s = stats[pid] else { continue }
            let arguments = readCmdline(pid)
            let (executable, source) = resolveExecutable(pid, arguments: arguments, comm: s.comm)
            found.append(SandboxProcess(pid: pid, parentPid: s.ppid, startTime: s.start, executable: executable,
                                        executableSource: source, arguments: arguments))
            queue += children[pid] ?? []
        }
        return found.sorted { $0.pid < $1.pid }
    }

    /// Processes in `after` that were not in `before`.
    public static func spawned(before: [SandboxProcess], after: [SandboxProcess]) -> [SandboxProcess] {
        let known = Set(before.map(\.identity))
        return after.filter { !known.contains($0.identity) }
    }

    /// stat is `pid (comm) state ppid pgrp ... starttime(22) ...`; comm may hold spaces and parentheses,
    /// so the fields are counted from the last ')'.
    func readStat(_ pid: Int32) -> (ppid: Int32, start: UInt64, comm: String)? {
        guard let text = try? String(contentsOfFile: "\(procRoot)/\(pid)/stat", encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let comm = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ")
        // rest[0] = state (field 3), rest[1] = ppid (field 4), rest[19] = starttime (field 22)
        guard rest.count > 19, let ppid = Int32(rest[1]), let start = UInt64(rest[19]) else { return nil }
        return (ppid, start, comm)
    }

    func readCmdline(_ pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0, omittingEmptySubsequences: false)
            .dropLast(data.last == 0 ? 1 : 0)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    func resolveExecutable(_ pid: Int32, arguments: [String], comm: String) -> (String, ExecutableSource) {
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(procRoot)/\(pid)/exe"), !exe.isEmpty {
            return (exe, .exe)
        }
        if let first = arguments.first, !first.isEmpty { return (first, .cmdline) }
        return (comm, .comm)
    }
}
