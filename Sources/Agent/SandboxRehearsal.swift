// The rehearsal display (docs/safety-design.md §3): the same sandbox definition running on its own
// Xvfb with its own home copy. Before an action reaches the live display it is sent here first,
// through the same `DisplayScreen` input path, and its effects are recorded: files created, changed
// or deleted in the home (flagged outside the permitted folders), processes spawned, windows mapped or
// destroyed (with executables, from the X server), the changed screen region, and how far this
// display had drifted from the live one before the action. A rehearsal that did not start from the
// live state says so (`diverged`); it does not pretend.
//
// Keeping in step: the rehearsal ran the action before the live display did, so after a live step
// both should show the same state. When they do not (the live step was refused after the rehearsal,
// or the two diverged), the rehearsal stage adopts the live home (`SandboxStage.adoptState(of:)`).

import Actions
import Desktop
import Foundation
import Imaging
import Sandbox

public final class SandboxRehearsal: Rehearsal {
    /// The rehearsal stage (role `.rehearsal`).
    public let stage: SandboxStage
    /// The live stage, whose home the rehearsal compares with and adopts.
    public let live: SandboxStage
    /// Input and frames of the rehearsal display.
    public let screen: DisplayScreen
    /// Frames of the live display (for drift only; nothing is sent to it from here).
    public let liveScreen: Screen
    public let recorder: EffectRecorder
    /// Fraction of pixels that may differ between the two screens before the rehearsal is divergent.
    /// The default, 0.05 %, is about 390 pixels of a 1024x768 screen: a blinking caret (≈ 20) passes,
    /// a few typed characters or a changed title do not.
    public var driftThreshold: Double
    /// Per-channel difference below which a pixel counts as equal (antialiasing, caret blink is not).
    public var pixelTolerance: UInt8
    public var settle: SettlePolicy
    let clock: Clock
    /// The Xvfb this rehearsal started (`launch`), stopped with it.
    private var server: XvfbServer?
    /// Seconds per phase of the last rehearsal: drift (two captures and their diff), effects.begin,
    /// replay, settle, effects.finish, region (capture and diff after the action).
    public private(set) var lastPhases: [String: Double] = [:]
    /// Whether the last rehearsal changed anything the live display has not yet seen.
    private var aheadOfLive = false

    public var providesEffects: Bool { true }

    public init(stage: SandboxStage, live: SandboxStage, display: Display, liveScreen: Screen,
                driftThreshold: Double = 0.0005, pixelTolerance: UInt8 = 16, settle: SettlePolicy = SettlePolicy(),
                clock: Clock = SystemClock()) {
        self.stage = stage
        self.live = live
        self.screen = DisplayScreen(display: display)
        self.liveScreen = liveScreen
        self.recorder = stage.recorder(windows: WindowListAdapter(display: display))
        self.driftThreshold = driftThreshold
        self.pixelTolerance = pixelTolerance
        self.settle = settle
        self.clock = clock
    }

    /// Starts an Xvfb of the definition's screen size, makes the rehearsal stage on it (its own home
    /// from the seed) and starts the application once the isolation check against `otherDisplays`
    /// (the live display at least) passed. Nothing is left running when this throws.
    /// `onIsolation` sees the rehearsal display and its isolation check's report, whether the check
    /// passed or refused the start.
    public static func launch(definition: SandboxDefinition, live: SandboxStage, liveScreen: Screen,
                              otherDisplays: [DisplayEndpoint], settle: SettlePolicy = SettlePolicy(),
                              clock: Clock = SystemClock(),
                              onIsolation: (DisplayEndpoint, IsolationReport) -> Void = { _, _ in }) throws -> SandboxRehearsal {
        let server = try XvfbServer(width: definition.screen.width, height: definition.screen.height,
                                    depth: definition.screen.depth == 16 ? 16 : 24)
        var stage: SandboxStage?
        do {
            let endpoint = DisplayEndpoint(number: server.displayNumber, authorityFile: server.authorityFile)
            let made = try SandboxStage(definition: definition, display: endpoint, role: .rehearsal)
            stage = made
            let display = try X11Display(server: server)
            defer { if let report = made.isolation { onIsolation(endpoint, report) } }
            try made.start(otherDisplays: otherDisplays)
            let rehearsal = SandboxRehearsal(stage: made, live: live, display: display, liveScreen: liveScreen,
                                             settle: settle, clock: clock)
            rehearsal.server = server
            return rehearsal
        } catch {
            stage?.stop()
            try? stage?.home.discard()
            try? server.stop()
            throw error
        }
    }

    /// Stops the rehearsal application and, when `launch` started it, its Xvfb; discards the home.
    public func stop() {
        stage.stop()
        try? stage.home.discard()
        if let server { try? server.stop() }
        server = nil
    }

    /// The rehearsal display's endpoint (for the live stage's isolation check).
    public var endpoint: DisplayEndpoint { stage.display }

    // MARK: - Rehearse

    public func rehearse(_ action: Action, context: ActionContext) async throws -> RehearsalReport {
        var phases: [String: Double] = [:]
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = clock.now()
            defer { phases[name, default: 0] += clock.now() - start }
            return try body()
        }

        // Drift before the action: the two screens, and (in the recorder) the two homes.
        let (before, drift) = try timed("drift") { () throws -> (Image, DriftMeasure) in
            let rehearsalFrame = try SandboxRehearsal.image(screen.capture())
            let liveFrame = try SandboxRehearsal.image(liveScreen.capture())
            return (rehearsalFrame, try measure(rehearsalFrame, against: liveFrame))
        }
        let baseline = try timed("effects.begin") { try recorder.begin(comparingWith: live.home) }

        // The same pixel action, through the same input path as the live display.
        let events = try timed("replay") { try screen.perform(action) }
        aheadOfLive = true
        let settleStart = clock.now()
        let settled = try await Settler(policy: settle, clock: clock).settle(screen)
        phases["settle"] = clock.now() - settleStart

        var effects = try timed("effects.finish") { try recorder.finish(baseline) }
        effects.drift = drift
        effects.changedRegion = try timed("region") {
            let after = try SandboxRehearsal.image(screen.capture())
            return try after.difference(from: before, threshold: pixelTolerance).boundingBox.map {
                EffectRect(x: $0.x, y: $0.y, width: $0.width, height: $0.height)
            }
        }
        if !settled.stable {
            effects.limitations.append("settle: the rehearsal screen was still changing after \(settle.timeout) s")
        }
        lastPhases = phases
        return RehearsalReport(rehearsed: true, summary: SandboxRehearsal.summary(effects, events: events),
                               effects: effects, homeMount: stage.definition.home.mount)
    }

    // MARK: - Keeping in step

    public func keepInStep(executed: Bool) async throws -> String? {
        guard aheadOfLive || executed else { return nil }
        aheadOfLive = false
        let rehearsalFrame = try SandboxRehearsal.image(screen.capture())
        let liveFrame = try SandboxRehearsal.image(liveScreen.capture())
        let drift = try measure(rehearsalFrame, against: liveFrame)
        let homes = HomeDiff.between(try live.home.snapshot(), try stage.home.snapshot())
        // A refused live action leaves the rehearsal one action ahead, visibly or not: always adopt.
        guard !executed || drift.exceeded || !homes.isEmpty else { return nil }
        let why = executed ? SandboxRehearsal.driftWords(drift, homes)
                           : "the rehearsal ran an action the live display did not (" + SandboxRehearsal.driftWords(drift, homes) + ")"
        let steps = try stage.adoptState(of: live)
        let back = await SandboxRehearsal.waitForWindowUnderPointer(screen, clock: clock)
        let settled = try await Settler(policy: settle, clock: clock).settle(screen)
        return "rehearsal kept in step (\(executed ? "after the live action" : "the live action did not run")): \(why); "
            + "adopted the live state: " + steps.map { "\($0.kind.rawValue) (\($0.detail))" }.joined(separator: ", ")
            + (back ? "" : "; no window came back under the pointer within 10 s")
            + (settled.stable ? "" : "; the rehearsal screen did not settle afterwards")
    }

    // MARK: - Helpers

    /// After an application restart: waits (bounded) until a window is under the pointer again. The
    /// stages have no window manager, so the pointer stays parked where the window was.
    static func waitForWindowUnderPointer(_ screen: Screen, clock: Clock, timeout: Double = 10) async -> Bool {
        let deadline = clock.now() + timeout
        while clock.now() < deadline {
            if let p = try? screen.pointerPosition(), (try? screen.window(atX: p.x, y: p.y)) != nil { return true }
            await clock.sleep(seconds: 0.05)
        }
        return false
    }

    func measure(_ rehearsal: Image, against live: Image) throws -> DriftMeasure {
        let d = try rehearsal.difference(from: live, threshold: pixelTolerance)
        return DriftMeasure(changedFraction: d.changedFraction,
                            region: d.boundingBox.map { EffectRect(x: $0.x, y: $0.y, width: $0.width, height: $0.height) },
                            threshold: driftThreshold)
    }

    static func image(_ frame: Frame) throws -> Image {
        try Image(width: frame.width, height: frame.height, pixels: frame.rgb)
    }

    static func driftWords(_ drift: DriftMeasure, _ homes: HomeDiff?) -> String {
        var parts: [String] = []
        if drift.exceeded {
            parts.append(String(format: "screen drift %.2f%% > %.2f%%", drift.changedFraction * 100, drift.threshold * 100))
        }
        if let homes, !homes.isEmpty { parts.append("home drift \(homes.all)") }
        return parts.isEmpty ? "in step" : parts.joined(separator: ", ")
    }

    /// One line for the audit: fidelity first, then what happened (the effects themselves go into the
    /// record's structured `effects` member).
    static func summary(_ e: Sandbox.RehearsalEffects, events: [String]) -> String {
        let fidelity = e.diverged ? "rehearsed, DIVERGED (\(driftWords(e.drift ?? DriftMeasure(changedFraction: 0, region: nil, threshold: 1), e.homeDrift)))"
                                  : "rehearsed"
        var said: [String] = []
        if !e.files.isEmpty { said.append("files: " + e.files.map { "\($0.change.rawValue) \($0.path)\($0.permitted ? "" : " (outside the permitted folders)")" }.joined(separator: ", ")) }
        if !e.processesSpawned.isEmpty { said.append("spawned: \(e.spawnedExecutables)") }
        if !e.windowsMapped.isEmpty { said.append("windows mapped: \(e.windowsMapped.map { $0.executable ?? $0.wmClass ?? "?" })") }
        if !e.windowsDestroyed.isEmpty { said.append("windows destroyed: \(e.windowsDestroyed.map { $0.executable ?? $0.wmClass ?? "?" })") }
        if let r = e.changedRegion { said.append("screen changed in \(r.width)x\(r.height) at (\(r.x), \(r.y))") }
        if e.network.attemptCount > 0 {
            let shown = e.network.attempts.prefix(3).map(\.summary).joined(separator: ", ")
            said.append("\(e.network) (\(shown)\(e.network.attempts.count > 3 ? ", …" : ""))")
        }
        if said.isEmpty { said.append("no observable effect") }
        if !e.limitations.isEmpty { said.append("not observed: " + e.limitations.joined(separator: "; ")) }
        return "\(fidelity): \(events.joined(separator: "; ")); \(said.joined(separator: "; "))"
    }
}
