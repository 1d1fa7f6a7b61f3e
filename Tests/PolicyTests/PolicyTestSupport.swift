import Actions
import Foundation
import XCTest
@testable import Policy

let zenity = WindowFacts(id: 1, windowClass: "Zenity", instance: "zenity", title: "Your name",
                         executable: "/usr/bin/zenity", pid: 100, x: 440, y: 300, width: 400, height: 200)
let xterm = WindowFacts(id: 2, windowClass: "XTerm", instance: "xterm", title: "bash",
                        executable: "/usr/bin/xterm", pid: 200, x: 0, y: 0, width: 800, height: 600)

/// A request on a 1280x800 screen where zenity is under the point and focused unless said otherwise.
func request(_ json: String, window: WindowFacts? = zenity, focused: WindowFacts?? = nil, pointer: Point? = Point(x: 640, y: 400),
             budget: BudgetCounters = BudgetCounters(), effects: RehearsalEffects? = nil) throws -> PolicyRequest {
    PolicyRequest(action: try Action(json: json), screenWidth: 1280, screenHeight: 800, pointer: pointer,
                  windowUnderPoint: window, focusedWindow: focused ?? window, budget: budget, effects: effects)
}

func decide(_ policy: Policy, _ json: String, window: WindowFacts? = zenity, focused: WindowFacts?? = nil,
            budget: BudgetCounters = BudgetCounters(), effects: RehearsalEffects? = nil) throws -> Decision {
    policy.decision(for: try request(json, window: window, focused: focused, budget: budget, effects: effects))
}

/// The repository's Policies/ folder (for the shipped policies' tests).
let policiesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Policies")

/// A tiny deterministic generator (SplitMix64) so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
