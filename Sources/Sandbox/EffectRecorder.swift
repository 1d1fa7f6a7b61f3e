// Records a rehearsed action's effects: `begin()` before the action on the rehearsal display,
// `finish(_:)` after it has settled. Between the two, the caller sends the action's input events.

import Foundation

public struct EffectBaseline: Sendable {
    public var home: HomeSnapshot
    /// The rehearsal home against the live home before the action (created = only in the rehearsal,
    /// deleted = only live, changed = different content).
    public var homeDrift: HomeDiff?
    public var processes: [SandboxProcess]
    public var windows: [WindowRecord]?
    var windowError: String?
    /// The application's network watch and its counters before the action.
    var network: (watch: NetworkWatch, mark: NetworkWatch.Mark)?
    var timings: [String: Double]
}

public final class EffectRecorder {
    public let home: SandboxHome
    public let definition: SandboxDefinition
    public var windows: WindowLister?
    private let processRootSource: () -> Int32?
    private let networkSource: () -> NetworkWatch?
    private var lastSnapshot: HomeSnapshot?
    private var lastLiveSnapshot: HomeSnapshot?

    /// The bwrap process of the rehearsal sandbox now; nil when the application is not running.
    public var processRoot: Int32? { processRootSource() }

    /// A recorder for a fixed bwrap pid (nil: no application, no process listing) and the network
    /// watch of that application (nil: network attempts not observable).
    public init(home: SandboxHome, definition: SandboxDefinition, processRoot: Int32?, windows: WindowLister?,
                network: NetworkWatch? = nil) {
        self.home = home
        self.definition = definition
        self.processRootSource = { processRoot }
        self.networkSource = { network }
        self.windows = windows
    }

    /// A recorder that follows `app` across restarts (a rollback restarts the application).
    public init(home: SandboxHome, definition: SandboxDefinition, app: SandboxedApp, windows: WindowLister?) {
        self.home = home
        self.definition = definition
        self.processRootSource = { [weak app] in app?.pid }
        self.networkSource = { [weak app] in app?.networkWatch }
        self.windows = windows
    }

    /// Call before sending the action to the rehearsal display. With `live`, the two homes are
    /// compared first and the difference is reported as drift.
    public func begin(comparingWith live: SandboxHome? = nil) throws -> EffectBaseline {
        var timings: [String: Double] = [:]
        let snapshot = try timed("home.snapshot", &timings) { try home.snapshot(reusing: lastSnapshot) }
        lastSnapshot = snapshot
        var homeDrift: HomeDiff?
        if let live {
            let liveSnapshot = try timed("home.drift", &timings) { try live.snapshot(reusing: lastLiveSnapshot) }
            lastLiveSnapshot = liveSnapshot
            homeDrift = HomeDiff.between(liveSnapshot, snapshot)
        }
        let processes = try timed("processes", &timings) { try processRoot.map { try ProcessWatcher(rootPid: $0).descendants() } ?? [] }
        var windowList: [WindowRecord]?, windowError: String?
        if let windows {
            do { windowList = try timed("windows", &timings) { try windows.mappedWindows() } } catch {
                windowError = "\(error)"
            }
        }
        let network = networkSource().map { ($0, $0.mark) }
        return EffectBaseline(home: snapshot, homeDrift: homeDrift, processes: processes, windows: windowList, windowError: windowError,
                              network: network, timings: timings)
    }

    public func finish(_ baseline: EffectBaseline) throws -> RehearsalEffects {
        var timings = baseline.timings.reduce(into: [String: Double]()) { $0["before." + $1.key] = $1.value }
        var limitations: [String] = []
        let after = try timed("home.snapshot", &timings) { try home.snapshot(reusing: baseline.home) }
        lastSnapshot = after
        let diff = timed("home.diff", &timings) { HomeDiff.between(baseline.home, after) }
        var files: [FileEffect] = []
        func add(_ paths: [String], _ change: FileEffect.Change, _ source: HomeSnapshot) {
            for path in paths {
                files.append(FileEffect(path: path, change: change, kind: source.entries[path]?.kind ?? .other,
                                        permitted: definition.permitsWrite(to: path)))
            }
        }
        add(diff.created, .created, after)
        add(diff.changed, .changed, after)
        add(diff.deleted, .deleted, baseline.home)

        var spawned: [SandboxProcess] = []
        if let root = processRoot {
            let now = try timed("processes", &timings) { try ProcessWatcher(rootPid: root).descendants() }
            spawned = ProcessWatcher.spawned(before: baseline.processes, after: now)
            limitations.append("processes: listed before and after the action; one that started and exited in between is not seen")
        } else {
            limitations.append("processes: the application is not running, none listed")
        }

        var mapped: [WindowRecord] = [], destroyed: [WindowRecord] = []
        if let windows {
            if let before = baseline.windows {
                do {
                    let now = try timed("windows", &timings) { try windows.mappedWindows() }
                    let beforeIds = Set(before.map(\.id)), nowIds = Set(now.map(\.id))
                    mapped = now.filter { !beforeIds.contains($0.id) }
                    destroyed = before.filter { !nowIds.contains($0.id) }
                } catch {
                    limitations.append("windows: the window list failed after the action: \(error)")
                }
            } else {
                limitations.append("windows: the window list failed before the action: \(baseline.windowError ?? "unknown error")")
            }
        } else {
            limitations.append("windows: no window list was supplied")
        }

        let network = timed("network", &timings) { networkObservation(since: baseline.network) }
        if let reason = network.notObservable {
            limitations.append("network: attempts not observable: \(reason)")
        } else {
            limitations.append("network: socket(), connect() and sendto() are watched; sendmsg/sendmmsg destinations are not (the socket they use was watched when it was made)")
        }
        return RehearsalEffects(files: files, processesSpawned: spawned, windowsMapped: mapped, windowsDestroyed: destroyed,
                                changedRegion: nil, network: network, drift: nil, homeDrift: baseline.homeDrift, limitations: limitations, timings: timings)
    }

    /// The watch's calls since the baseline: observed only when the same watch watched the whole window.
    func networkObservation(since start: (watch: NetworkWatch, mark: NetworkWatch.Mark)?) -> NetworkObservation {
        let namespace: NetworkObservation.Namespace = definition.isolation.network == .none ? .isolated : .shared
        func unobservable(_ reason: String) -> NetworkObservation { NetworkObservation(namespace: namespace, notObservable: reason) }
        guard let start else { return unobservable("the recorder has no network watch") }
        guard let now = networkSource(), now === start.watch else {
            return unobservable("the application was restarted during the action")
        }
        // A call made before this moment may still wait for the supervisor: let it be counted.
        now.settle()
        switch now.state {
        case .watching, .ended: break
        case .starting: return unobservable("the watcher had not reported yet")
        case .unavailable(let reason): return unobservable(reason)
        case .failed(let reason): return unobservable("the watch failed: \(reason)")
        }
        guard let window = now.calls(since: start.mark) else { return unobservable("the watch changed during the action") }
        return NetworkObservation(namespace: namespace, attempts: window.network, attemptCount: window.networkCount,
                                  localCalls: window.local, localCount: window.localCount)
    }

    private func timed<T>(_ name: String, _ timings: inout [String: Double], _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { timings[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return try body()
    }
}
