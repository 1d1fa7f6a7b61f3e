// Encoding throughput, for `understudy bench` and the tests. Benchmarks are commands, not timed tests
// (docs/architecture.md), so this only measures and reports.

import Foundation

public enum TokenizerBenchmark {
    public struct Result: Sendable {
        /// UTF-8 bytes encoded per repetition.
        public var bytes: Int
        /// Ids produced per repetition.
        public var tokens: Int
        /// The fastest repetition.
        public var seconds: Double

        /// Decimal megabytes (10⁶ bytes) of UTF-8 input per second.
        public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e6 : 0 }
    }

    /// Encodes `text` `repetitions` times and reports the fastest run (a first, unmeasured run warms up).
    public static func measureEncoding(_ tokenizer: some TextTokenizer, text: String, repetitions: Int = 3) -> Result {
        var tokens = tokenizer.encode(text).count
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            tokens = tokenizer.encode(text).count
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, elapsed)
        }
        return Result(bytes: text.utf8.count, tokens: tokens, seconds: best)
    }
}
