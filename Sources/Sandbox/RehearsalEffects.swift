// What one action did on the rehearsal display, in a form policy rules can match: files written
// (inside or outside the permitted folders), processes spawned and their executables, windows mapped
// or destroyed with their owning executables, the changed screen region, the drift before the action,
// and the network attempts seen (or why none could be seen). Fields the Sandbox cannot observe by itself (screen
// region, drift, the window list) are filled by the caller from Desktop/Imaging.

import Foundation

/// A top-level window as the desktop layer reports it. The executable comes from the X server
/// (X-Resource client id → pid → /proc/pid/exe), not from _NET_WM_PID.
public struct WindowRecord: Equatable, Hashable, Sendable, Codable {
    public var id: UInt64
    public var wmClass: String?
    public var title: String?
    public var executable: String?

    public init(id: UInt64, wmClass: String? = nil, title: String? = nil, executable: String? = nil) {
        self.id = id
        self.wmClass = wmClass
        self.title = title
        self.executable = executable
    }
}

/// The window list of one display; Desktop's X11 display implements it in the agent.
public protocol WindowLister {
    func mappedWindows() throws -> [WindowRecord]
}

public struct FileEffect: Equatable, Sendable, Codable {
    public enum Change: String, Equatable, Sendable, Codable { case created, changed, deleted }
    /// Relative to the sandbox home.
    public var path: String
    public var change: Change
    public var kind: HomeEntry.Kind
    /// Inside one of the definition's `permitted_writes` folders.
    public var permitted: Bool
}

/// A rectangle in screen pixels.
public struct EffectRect: Equatable, Sendable, Codable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// How far the rehearsal screen was from the live screen before the action (filled by the caller,
/// which has both screenshots).
public struct DriftMeasure: Equatable, Sendable, Codable {
    /// Fraction of pixels that differ, 0…1.
    public var changedFraction: Double
    public var region: EffectRect?
    public var threshold: Double
    public var exceeded: Bool { changedFraction > threshold }

    public init(changedFraction: Double, region: EffectRect?, threshold: Double) {
        self.changedFraction = changedFraction
        self.region = region
        self.threshold = threshold
    }
}

/// What can honestly be said about network use during one rehearsed action: the socket calls the
/// network watch saw (NetworkWatch.swift) between `EffectRecorder.begin` and `finish`, or why none
/// could be seen. Unknown is never reported as none: `notObservable` carries the reason, and policy
/// rules on network effects cannot evaluate (and fail safe) when it is set.
public struct NetworkObservation: Equatable, Sendable, Codable, CustomStringConvertible {
    public enum Namespace: String, Equatable, Sendable, Codable {
        /// `network = "none"`: only lo exists inside; every attempt to reach beyond it fails.
        case isolated
        /// `network = "host"`: the host's network; attempts are not blocked.
        case shared
    }
    public var namespace: Namespace
    /// Nil when the whole window was watched; otherwise why attempts could not be observed.
    public var notObservable: String?
    /// Network attempts (inet, inet6, packet, … sockets created, connects, sendtos), oldest first;
    /// at most the watch's capacity, `attemptCount` counts every one.
    public var attempts: [SocketCall]
    public var attemptCount: Int
    /// Unix-socket and netlink calls (X11, D-Bus: IPC, not network), kept for the audit.
    public var localCalls: [SocketCall]
    public var localCount: Int

    public init(namespace: Namespace, notObservable: String? = nil, attempts: [SocketCall] = [], attemptCount: Int? = nil,
                localCalls: [SocketCall] = [], localCount: Int? = nil) {
        self.namespace = namespace
        self.notObservable = notObservable
        self.attempts = attempts
        self.attemptCount = attemptCount ?? attempts.count
        self.localCalls = localCalls
        self.localCount = localCount ?? localCalls.count
    }

    public var observed: Bool { notObservable == nil }

    public var description: String {
        let namespaceWords = namespace == .isolated ? "isolated" : "shared with the host"
        if let notObservable { return "network: \(namespaceWords), attempts not observable: \(notObservable)" }
        let n = attemptCount == 1 ? "1 attempt" : "\(attemptCount) attempts"
        switch (namespace, attemptCount) {
        case (_, 0): return "network: \(namespaceWords), watched: no attempt"
        case (.isolated, _): return "network: isolated, watched: \(n), none can leave the empty namespace"
        case (.shared, _): return "network: shared with the host, watched: \(n), not blocked"
        }
    }
}

public struct RehearsalEffects: Equatable, Sendable, Codable {
    public var files: [FileEffect]
    public var processesSpawned: [SandboxProcess]
    public var windowsMapped: [WindowRecord]
    public var windowsDestroyed: [WindowRecord]
    /// The screen region the action changed (screenshot diff); filled by the caller.
    public var changedRegion: EffectRect?
    public var network: NetworkObservation
    /// Drift between the rehearsal and live screens before the action; filled by the caller.
    public var drift: DriftMeasure?
    /// State drift before the action: paths whose content differs between the rehearsal home and the
    /// live home (nil when the live home was not compared). Non-empty means the rehearsal ran on
    /// different state than the live action will.
    public var homeDrift: HomeDiff?
    /// What this record could not see, in words, for the audit (a rehearsal that could not observe
    /// something says so instead of reporting nothing).
    public var limitations: [String]
    /// Seconds spent observing, by phase (`home.snapshot`, `processes`, `windows`, …): the
    /// rehearsal's own overhead.
    public var timings: [String: Double]

    // MARK: What policy rules match on

    public var writesOutsidePermitted: [FileEffect] { files.filter { !$0.permitted } }
    public var spawnedExecutables: [String] { Array(Set(processesSpawned.map(\.executable))).sorted() }
    public var newWindowClasses: [String] { Array(Set(windowsMapped.compactMap(\.wmClass))).sorted() }
    public var newWindowExecutables: [String] { Array(Set(windowsMapped.compactMap(\.executable))).sorted() }
    public var driftExceeded: Bool { drift?.exceeded ?? false }
    /// The rehearsal did not start from the live state (screen beyond the threshold, or files).
    public var diverged: Bool { driftExceeded || !(homeDrift?.isEmpty ?? true) }
    /// Nothing observable happened (screen region aside).
    public var isEmpty: Bool {
        files.isEmpty && processesSpawned.isEmpty && windowsMapped.isEmpty && windowsDestroyed.isEmpty && network.attemptCount == 0
    }
}
