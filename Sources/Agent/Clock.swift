// Time, behind a protocol so that tests of settling and budgets run instantly.

#if canImport(Glibc)
import Glibc
#endif

public protocol Clock: Sendable {
    /// Seconds on a monotonic clock.
    func now() -> Double
    func sleep(seconds: Double) async
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    public func sleep(seconds: Double) async {
        guard seconds > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }
}
