// Exercises the overhead measurement that `understudy bench` reports for the sandbox layer. It
// asserts only the report's shape; the numbers are printed to stderr, not judged (benchmarks are
// commands, not timed tests).

import XCTest
@testable import Sandbox

final class RehearsalOverheadTests: XCTestCase {
    func testOverheadReportCoversEveryPhase() throws {
        try requireBubblewrap()
        let display = try TestDisplay()
        defer { display.stop() }
        let definition = try SandboxDefinition.load(contentsOf: sandboxesFolder() + "/mousepad.toml")
        let rehearsal = try SandboxHome(seed: definition.home.seed, name: "bench-rehearsal")
        let live = try SandboxHome(seed: definition.home.seed, name: "bench-live")
        defer { try? rehearsal.discard(); try? live.discard() }
        let app = try SandboxedApp(command: BubblewrapCommand(definition: definition, display: display.endpoint, homePath: rehearsal.path),
                                   logDirectory: rehearsal.root + "/logs")
        try app.start()
        defer { app.stop(gracePeriod: 2) }
        try poll(timeout: 20, "the mousepad window") { display.windowTree().contains("\"Mousepad\")") }

        let report = try RehearsalOverhead.measure(definition: definition, rehearsal: rehearsal, live: live,
                                                   processRoot: app.pid, windows: XwininfoWindows(display: display),
                                                   network: app.networkWatch, steps: 5)
        let phases = Set(report.samples.map(\.phase))
        XCTAssertEqual(phases, ["checkpoint (live home)", "before.home.snapshot", "before.home.drift", "before.processes",
                                "before.windows", "home.snapshot", "home.diff", "network", "processes", "windows"])
        XCTAssertTrue(report.samples.allSatisfy { $0.seconds.count == 5 && $0.seconds.allSatisfy { $0 >= 0 } })
        XCTAssertEqual(report.homeFiles, 3)
        FileHandle.standardError.write(Data(("\nrehearsal overhead, mousepad home:\n" + report.table + "\n").utf8))
    }

    func testOverheadGrowsWithTheHome() throws {
        // A bigger home (400 files, 12 MB) without an application: copies and hashing dominate.
        let seed = NSTemporaryDirectory() + "understudy-bench-seed-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: seed) }
        for folder in 0..<20 {
            try FileManager.default.createDirectory(atPath: "\(seed)/d\(folder)", withIntermediateDirectories: true)
            for file in 0..<20 {
                var bytes = Data(repeating: UInt8(folder), count: 30_000)
                bytes[0] = UInt8(file)
                try bytes.write(to: URL(fileURLWithPath: "\(seed)/d\(folder)/f\(file).bin"))
            }
        }
        let definition = try SandboxDefinition(toml: "name = \"bench\"\n[app]\ncommand = [\"/bin/true\"]\n", baseDirectory: "/")
        let rehearsal = try SandboxHome(seed: seed, name: "bench-r"), live = try SandboxHome(seed: seed, name: "bench-l")
        defer { try? rehearsal.discard(); try? live.discard() }
        let report = try RehearsalOverhead.measure(definition: definition, rehearsal: rehearsal, live: live,
                                                   processRoot: nil, windows: nil, steps: 3)
        XCTAssertEqual(report.homeFiles, 400)
        FileHandle.standardError.write(Data(("\nrehearsal overhead, 400-file home:\n" + report.table + "\n").utf8))
    }
}
