// Waiting for the screen to settle after an action, without fixed sleeps: poll captures until the
// frame has not changed for a quiet period, or give up at a deadline and say so. Either way the loop
// goes on (the next observation shows whatever is there); the audit records which it was.

public struct SettlePolicy: Equatable, Sendable {
    public var pollInterval: Double
    /// How long the frame must stay unchanged to count as settled.
    public var quietPeriod: Double
    /// The most time spent waiting.
    public var timeout: Double

    public init(pollInterval: Double = 0.05, quietPeriod: Double = 0.25, timeout: Double = 5) {
        self.pollInterval = pollInterval
        self.quietPeriod = quietPeriod
        self.timeout = timeout
    }
}

public struct SettleResult: Equatable, Sendable {
    public var stable: Bool
    public var polls: Int
    public var seconds: Double
}

public struct Settler {
    public var policy: SettlePolicy
    public var clock: Clock

    public init(policy: SettlePolicy, clock: Clock) {
        self.policy = policy
        self.clock = clock
    }

    public func settle(_ screen: Screen) async throws -> SettleResult {
        let start = clock.now()
        var last = try screen.capture()
        var polls = 1
        var unchangedSince = start
        while true {
            let now = clock.now()
            if now - unchangedSince >= policy.quietPeriod {
                return SettleResult(stable: true, polls: polls, seconds: now - start)
            }
            if now - start >= policy.timeout {
                return SettleResult(stable: false, polls: polls, seconds: now - start)
            }
            await clock.sleep(seconds: policy.pollInterval)
            let frame = try screen.capture()
            polls += 1
            if frame != last {
                last = frame
                unchangedSince = clock.now()
            }
        }
    }
}
