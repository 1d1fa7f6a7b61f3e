// The processes inside a sandbox: every descendant of the bwrap process, found through the parent
// pid in /proc/<pid>/stat (the host's pids; the sandbox's pid namespace does not hide them from the
// supervisor). A rehearsal compares two listings to find the processes an action spawned.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        var stats: [Int32: ProcStat] = [:]
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
    struct ProcStat {
        var state: Character
        var ppid: Int32
        var start: UInt64
        var comm: String
        /// Exited (zombie or dead), waiting only to be reaped.
        var exited: Bool { state == "Z" || state == "X" }
    }

    func readStat(_ pid: Int32) -> ProcStat? {
        guard let bytes = Self.readSmallFile("\(procRoot)/\(pid)/stat"),
              let open = bytes.firstIndex(of: UInt8(ascii: "(")), let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              open < close else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // Fields after ") ": state (3), ppid (4), …, starttime (22). Parsed as bytes: a scan reads
        // one stat file per process on the machine, and String splitting dominated it.
        var fields: [ArraySlice<UInt8>] = []
        var i = close + 1
        while i < bytes.count && fields.count < 20 {
            while i < bytes.count && bytes[i] == UInt8(ascii: " ") { i += 1 }
            let fieldStart = i
            while i < bytes.count && bytes[i] != UInt8(ascii: " ") && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            if i > fieldStart { fields.append(bytes[fieldStart..<i]) } else { break }
        }
        guard fields.count == 20, let stateByte = fields[0].first,
              let ppid = Self.number(fields[1]).flatMap({ Int32(exactly: $0) }), let start = Self.number(fields[19]) else { return nil }
        return ProcStat(state: Character(UnicodeScalar(stateByte)), ppid: ppid, start: start, comm: comm)
    }

    static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = a
        }
        return value
    }

    /// Whether the process listed as `process` still runs (same pid and start time, not exited).
    func isAlive(_ process: SandboxProcess) -> Bool {
        guard let stat = readStat(process.pid), stat.start == process.startTime else { return false }
        return !stat.exited
    }

    /// One read(2) of up to 4 KiB: a stat line fits, and a scan reads one per process on the machine
    /// (Foundation's file reading costs several times more per call).
    static func readSmallFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        buffer.removeSubrange(n...)
        return buffer
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
