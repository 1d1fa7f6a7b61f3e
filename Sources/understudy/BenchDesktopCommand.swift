import ArgumentParser
import Desktop
import Foundation
import Imaging

/// `understudy bench desktop`: capture, PNG encode and click-to-pixel latency at 1280x800.
struct BenchDesktopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desktop",
        abstract: "Measure capture, PNG encode and click-to-first-changed-pixel latency.",
        discussion: """
            Starts its own 1280x800 Xvfb with an xterm full of text and a probe window that repaints \
            on every button press, unless --display names a server to use. Click latency: the time \
            from sending an XTest click on the probe to the first XShm capture of a 16x16 region of \
            it that differs. Summary on stderr; with --json, a JSON object on stdout.
            """)

    @Option(name: .long, help: "Use this X display instead of starting an Xvfb.")
    var display: String?

    @Option(name: .long, help: "Repetitions of each measurement.")
    var iterations: Int = 50

    @Flag(name: .long, help: "Print the results as JSON on stdout.")
    var json = false

    @Option(name: .long, help: "Also write the screenshot that was encoded to this PNG file.")
    var saveScreenshot: String?

    func validate() throws {
        guard (3...10_000).contains(iterations) else { throw ValidationError("--iterations must be within 3...10000") }
    }

    func run() throws {
        var server: XvfbServer?
        var children: [Process] = []
        defer {
            for child in children { XvfbServer.terminate(child, timeout: 2) }
            try? server?.stop()
        }
        let x: X11Display
        let cookie: [UInt8]?
        let displayName: String
        if let display {
            x = try X11Display(name: display)
            cookie = nil
            displayName = display
        } else {
            let s = try XvfbServer(width: 1280, height: 800)
            server = s
            x = try X11Display(server: s)
            cookie = s.cookie
            displayName = s.displayName
            children = BenchDesktopCommand.startScenery(s)
        }
        defer { x.close() }
        x.multiClickGap = 0 // the probe counts no multi-clicks; keep the gap out of the timing
        let (width, height) = x.screenSize
        let probe = try ProbeWindow(displayName: displayName, cookie: cookie,
                                    frame: PixelRect(x: width - 220, y: height - 220, width: 200, height: 200))
        defer { probe.stop() }
        // Let the scenery map and draw: wait for its windows, then for two equal captures.
        let settle = Date().addingTimeInterval(5)
        while Date() < settle {
            if let windows = try? x.windows(), windows.count >= children.count + 1 { break }
            usleep(50_000)
        }
        var previous = try x.capture()
        while Date() < settle {
            usleep(200_000)
            let now = try x.capture()
            if now == previous { break }
            previous = now
        }

        var results: [String: Any] = ["screen": [width, height], "iterations": iterations]
        var summary: [String] = ["screen \(width)x\(height), \(iterations) iterations"]
        // Wall time is what a caller waits; this thread's CPU time is what the work costs, and
        // stays meaningful when other processes compete for the cores.
        func record(_ name: String, _ samples: [(wall: Double, cpu: Double)]) {
            let s = samples.map(\.wall).sorted()
            let cpu = samples.map(\.cpu).sorted()
            let median = s[s.count / 2]
            let p90 = s[min(s.count - 1, Int((Double(s.count) * 0.9).rounded(.up)) - 1)]
            results[name] = ["median_ms": round3(median), "p90_ms": round3(p90), "min_ms": round3(s[0]),
                             "cpu_median_ms": round3(cpu[cpu.count / 2]), "samples": s.count]
            summary.append(String(format: "%-24@ median %7.3f ms  p90 %7.3f ms  min %7.3f ms  (this thread's CPU: median %7.3f ms)",
                                  name as NSString, median, p90, s[0], cpu[cpu.count / 2]))
        }

        // 1. XShm capture and copy into Image.
        _ = try x.capture() // attach the segment outside the timing
        results["capture_method"] = x.captureMethodInUse
        record("capture_\(x.captureMethodInUse)", try timed(iterations) { _ = try x.capture() })

        // 2. XGetImage capture.
        let slow = try X11Display(name: displayName, cookie: cookie, capture: .getImage)
        defer { slow.close() }
        record("capture_xgetimage", try timed(max(3, iterations / 2)) { _ = try slow.capture() })

        // 3. PNG encode, level 1, of the desktop as it is.
        let screenshot = try x.capture()
        var bytes = 0
        record("png_encode_level1", try timed(max(3, iterations / 2)) { bytes = try screenshot.pngData(level: 1).count })
        results["png_bytes"] = bytes
        if let saveScreenshot { try screenshot.writePNG(to: saveScreenshot) }

        // 4. Click to first changed pixel.
        let target = ScreenPoint(x: probe.frame.x + 100, y: probe.frame.y + 100)
        let watch = PixelRect(x: target.x - 8, y: target.y - 8, width: 16, height: 16)
        try x.movePointer(to: target)
        var latencies: [(wall: Double, cpu: Double)] = []
        var timeouts = 0
        for _ in 0..<iterations {
            let before = try x.capture(region: watch)
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = BenchDesktopCommand.threadCPU()
            try x.click(.left, at: nil, count: 1)
            var changed = false
            while DispatchTime.now().uptimeNanoseconds - start < 1_000_000_000 {
                if try x.capture(region: watch) != before { changed = true; break }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if changed { latencies.append((elapsed, BenchDesktopCommand.threadCPU() - cpuStart)) } else { timeouts += 1 }
            usleep(20_000) // let the probe settle before the next click
        }
        if latencies.count >= 3 { record("click_to_changed_pixel", latencies) }
        results["click_timeouts"] = timeouts
        summary.append("png size \(bytes) bytes; click timeouts \(timeouts)")

        for line in summary { StandardError.print(line) }
        if json { try JSONOutput.print(results) }
        if latencies.count < 3 { throw ExitCode.failure }
    }

    private func timed(_ n: Int, _ body: () throws -> Void) throws -> [(wall: Double, cpu: Double)] {
        try body() // warm-up
        var samples: [(wall: Double, cpu: Double)] = []
        for _ in 0..<n {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let c0 = BenchDesktopCommand.threadCPU()
            try body()
            samples.append((Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6, BenchDesktopCommand.threadCPU() - c0))
        }
        return samples
    }

    /// CPU time consumed by the calling thread, in milliseconds.
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    private func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    /// An xterm listing a directory and a calculator: text, buttons, gradients, as a desktop has.
    static func startScenery(_ server: XvfbServer) -> [Process] {
        var started: [Process] = []
        let scenery: [(String, [String])] = [
            ("xterm", ["-geometry", "140x50+0+0", "-e", "sh", "-c", "ls -la /usr/bin | head -60; sleep 600"]),
            ("galculator", []),
        ]
        var env = server.environment
        env["NO_AT_BRIDGE"] = "1"
        for (name, arguments) in scenery {
            guard let path = XvfbServer.which(name) else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = arguments
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            if (try? p.runWithUnblockedSignals()) != nil { started.append(p) }
        }
        return started
    }
}
