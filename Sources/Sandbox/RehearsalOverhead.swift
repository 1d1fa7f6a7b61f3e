// The Sandbox's share of the rehearsal overhead per step, measured on real homes and processes:
// what `understudy bench` reports for the sandbox layer. Per step the agent takes a checkpoint of
// the live home, records the rehearsal baseline (rehearsal home snapshot, live home snapshot for the
// drift check, process list, window list), replays the action, and records the effects (snapshot,
// diff, process list). The input replay and the settle wait on the rehearsal display belong to
// Desktop and are not in these numbers.

import Foundation

public struct OverheadSample: Equatable, Sendable, Codable {
    public var phase: String
    /// One value per measured step, in seconds.
    public var seconds: [Double]

    public var median: Double {
        let s = seconds.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    public var maximum: Double { seconds.max() ?? 0 }
}

public struct RehearsalOverheadReport: Equatable, Sendable, Codable {
    public var steps: Int
    public var homeFiles: Int
    public var homeBytes: Int64
    public var copyMethod: SandboxHome.CopyMethod
    public var samples: [OverheadSample]

    /// Median seconds per step over all phases.
    public var totalMedian: Double { samples.reduce(0) { $0 + $1.median } }

    /// A table for the terminal: phase, median and max in milliseconds, share of the total.
    public var table: String {
        func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        var lines = ["home: \(homeFiles) files, \(homeBytes) bytes; copies: \(copyMethod.rawValue); \(steps) steps",
                     pad("phase", 24) + "  median ms     max ms   share"]
        let total = max(totalMedian, 1e-12)
        for s in samples.sorted(by: { $0.median > $1.median }) {
            lines.append(pad(s.phase, 24) + String(format: " %10.2f %10.2f %6.1f%%", s.median * 1000, s.maximum * 1000,
                                                   100 * s.median / total))
        }
        lines.append(pad("total per step", 24) + String(format: " %10.2f", totalMedian * 1000))
        return lines.joined(separator: "\n")
    }
}

public enum RehearsalOverhead {
    /// Runs `steps` empty rehearsal steps (no input is sent) against a rehearsal and a live home and
    /// reports each phase's time. `processRoot` is the rehearsal application's bwrap pid, if running,
    /// and `network` its network watch (the `network` phase: waiting for pending reports, copying the window).
    public static func measure(definition: SandboxDefinition, rehearsal: SandboxHome, live: SandboxHome,
                               processRoot: Int32?, windows: WindowLister?, network: NetworkWatch? = nil,
                               steps: Int) throws -> RehearsalOverheadReport {
        let recorder = EffectRecorder(home: rehearsal, definition: definition, processRoot: processRoot, windows: windows,
                                      network: network)
        var phases: [String: [Double]] = [:]
        var previous: HomeCheckpoint?
        let strategy: SandboxDefinition.CheckpointStrategy =
            definition.checkpoint == .none ? .copyHome(restartAfterRestore: false) : definition.checkpoint
        for step in 0..<max(steps, 1) {
            let checkpoint = try live.checkpoint(strategy, label: "bench-\(step)")
            phases["checkpoint (live home)", default: []].append(checkpoint.seconds)
            let baseline = try recorder.begin(comparingWith: live)
            let effects = try recorder.finish(baseline)
            for (name, value) in effects.timings { phases[name, default: []].append(value) }
            // The agent keeps the latest checkpoint only (the next one links to it).
            if let older = previous { try? FileManager.default.removeItem(atPath: older.directory) }
            previous = checkpoint
        }
        if let last = previous { try? FileManager.default.removeItem(atPath: last.directory) }
        let manifest = try live.snapshot()
        let files = manifest.entries.values.filter { $0.kind == .file }
        return RehearsalOverheadReport(steps: max(steps, 1), homeFiles: files.count, homeBytes: files.reduce(0) { $0 + $1.size },
                                       copyMethod: live.copyMethod,
                                       samples: phases.map { OverheadSample(phase: $0.key, seconds: $0.value) }.sorted { $0.phase < $1.phase })
    }
}
