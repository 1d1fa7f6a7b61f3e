// `understudy bench model`: prefill and decode speed of the local engine, with the machine's own sgemm
// peak and memory bandwidth measured in the same run so the ratios mean something on any machine.
import ArgumentParser
import Dispatch
import Foundation
import Qwen3VL
import Tensors

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (commands, not timed tests).",
        subcommands: [BenchDesktopCommand.self, BenchSandboxCommand.self, Model.self])
}

/// VmRSS / VmHWM of this process from /proc/self/status, in bytes (nil where /proc is unavailable).
enum ProcessMemory {
    static func read() -> (resident: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            let digits = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
            return digits.first.map { $0 * 1024 }
        }
        guard let rss = field("VmRSS"), let hwm = field("VmHWM") else { return nil }
        return (rss, hwm)
    }
}

extension BenchCommand {
    struct Model: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prefill and decode tokens/s, resident memory, and how close they come to this machine's limits.")

        @Argument(help: "A Hugging Face Qwen3-VL model directory.")
        var model: String

        @Option(help: "Prompt length for the prefill measurement.")
        var promptTokens = 128

        @Option(help: "Tokens to decode one at a time.")
        var decodeTokens = 32

        @Option(help: "Threads (default: all cores).")
        var threads: Int?

        @Flag(help: "Widen bf16 weights to float32 at load instead of reading them in place.")
        var f32Weights = false

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var vision: BenchVisionOptions

        func validate() throws {
            guard (1...(1 << 24)).contains(promptTokens), (1...(1 << 24)).contains(decodeTokens) else {
                throw ValidationError("token counts must be in 1...\(1 << 24)")
            }
        }

        func run() async throws {
            let cores = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLAS.setThreadCount(cores)
            try withUserFacingErrors {
                var r: [(String, String)] = []
                func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

                let t0 = now()
                let loaded = try Qwen3VL.Qwen3VLModel(directory: model, keepBF16: !f32Weights)
                let loadSeconds = now() - t0
                let afterLoad = ProcessMemory.read()
                let c = loaded.configuration.text
                log(String(format: "loaded in %.1f s", loadSeconds))

                // Prompt: seeded ids from the low (ordinary-text) part of the vocabulary.
                var rng = SplitMix64(seed: 1)
                let span = max(1, min(c.vocabSize, 150_000))
                let prompt = (0..<promptTokens).map { _ in Int(rng.next() % UInt64(span)) }
                try loaded.checkContext(promptTokens + decodeTokens + 1)
                let decoder = loaded.makeDecoder(contextCapacity: promptTokens + decodeTokens + 1,
                                                 batchCapacity: min(promptTokens, 512))
                let t1 = now()
                var logits = try decoder.prefill(prompt)
                let prefillSeconds = now() - t1

                var greedy = Sampler(.greedy)
                var token = greedy.sample(logits, context: prompt, generated: [])
                let t2 = now()
                for _ in 0..<decodeTokens {
                    logits = try decoder.decode(token)
                    token = greedy.sample(logits, context: [], generated: [])
                }
                let decodeSeconds = now() - t2
                let afterRun = ProcessMemory.read()

                // Work done. Prefill: 2 FLOPs per weight per token, plus causal attention (q·k and p·v:
                // 2·2·hd FLOPs per query head per visible key, N(N+1)/2 visible pairs).
                let n = Double(promptTokens)
                let linearFlops = 2 * Double(loaded.weights.linearParameterCount) * n
                let attentionFlops = 4 * Double(c.headCount * c.headDim * c.layerCount) * n * (n + 1) / 2
                let prefillGFLOPS = (linearFlops + attentionFlops) / prefillSeconds / 1e9
                // Decode: every weight byte once per token, plus the K and V cache read (average context).
                let averageContext = Double(promptTokens) + Double(decodeTokens) / 2
                let kvBytes = 2 * averageContext * Double(c.kvHeadCount * c.headDim * c.layerCount) * 4
                let bytesPerToken = Double(loaded.weights.bytesReadPerToken) + kvBytes
                let decodeRate = Double(decodeTokens) / decodeSeconds
                let decodeGBps = bytesPerToken * decodeRate / 1e9

                log("measuring sgemm peak and memory bandwidth…")
                let sgemm = Microbenchmark.sgemmGFLOPS(n: 1024)
                let stream = Microbenchmark.streamReadGBps(megabytes: 512, threads: cores)

                func gb(_ b: Int?) -> String { b.map { String(format: "%.2f", Double($0) / 1e9) } ?? "n/a" }
                r.append(("model", model))
                r.append(("threads", "\(cores)"))
                r.append(("load_seconds", String(format: "%.2f", loadSeconds)))
                r.append(("weights", f32Weights ? "float32 (widened at load)" : "as stored (bf16 memory-mapped)"))
                r.append(("weights_gb", gb(loaded.weights.byteCount)))
                r.append(("kv_cache_gb", gb(decoder.cache.byteCount)))
                r.append(("prompt_tokens", "\(promptTokens)"))
                r.append(("prefill_seconds", String(format: "%.3f", prefillSeconds)))
                r.append(("prefill_tokens_per_second", String(format: "%.2f", n / prefillSeconds)))
                r.append(("prefill_gflops", String(format: "%.1f", prefillGFLOPS)))
                r.append(("decode_tokens", "\(decodeTokens)"))
                r.append(("decode_tokens_per_second", String(format: "%.3f", decodeRate)))
                r.append(("decode_bytes_per_token_gb", String(format: "%.3f", bytesPerToken / 1e9)))
                r.append(("decode_gb_per_second", String(format: "%.2f", decodeGBps)))
                r.append(("sgemm_peak_gflops", String(format: "%.1f", sgemm)))
                r.append(("stream_read_gb_per_second", String(format: "%.2f", stream)))
                r.append(("prefill_fraction_of_sgemm_peak", String(format: "%.3f", prefillGFLOPS / sgemm)))
                r.append(("decode_fraction_of_stream_bandwidth", String(format: "%.3f", decodeGBps / stream)))
                r.append(("decode_roofline_tokens_per_second", String(format: "%.3f", stream * 1e9 / bytesPerToken)))
                r.append(("rss_after_load_gb", gb(afterLoad?.resident)))
                r.append(("rss_after_run_gb", gb(afterRun?.resident)))
                r.append(("peak_rss_gb", gb(afterRun?.peak)))
                r += try vision.run(model: loaded, sgemmPeak: sgemm)

                if json {
                    let body = r.map { key, value in
                        Double(value) != nil ? "  \"\(key)\": \(value)" : "  \"\(key)\": \"\(value.replacingOccurrences(of: "\"", with: "\\\""))\""
                    }
                    print("{\n" + body.joined(separator: ",\n") + "\n}")
                } else {
                    for (key, value) in r { print("\(key): \(value)") }
                }
            }
        }
    }
}
