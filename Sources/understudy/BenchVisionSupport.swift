// `understudy bench model --image F.png | --image-size WxH`: the vision half of the model benchmark — vision
// patches/s, prefill tokens/s with the image in the prompt, and achieved GFLOP/s as a fraction of the sgemm
// peak that `bench model` measures in the same run.
import ArgumentParser
import Dispatch
import Foundation
import Imaging
import Qwen3VL
import Tensors
#if canImport(Glibc)
import Glibc
#endif

/// User + system CPU seconds of this process so far. On a shared machine the wall-clock rates mix in other
/// processes' load; CPU seconds per wall second over the thread count says how much of the machine we had.
enum ProcessCPU {
    static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .nan }
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}

struct BenchVisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Also benchmark the vision tower and a multimodal prefill on this image.", valueName: "F.png"))
    var image: String?

    @Option(help: ArgumentHelp("Like --image, with a synthetic screenshot of this size.", valueName: "WxH"))
    var imageSize: String?

    @OptionGroup var budget: ImageBudgetOptions

    func validate() throws {
        if image != nil && imageSize != nil { throw ValidationError("give --image or --image-size, not both") }
        if let imageSize { _ = try Self.parseSize(imageSize) }
    }

    static func parseSize(_ text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...16384).contains(parts[0]), (1...16384).contains(parts[1]) else {
            throw ValidationError("--image-size: '\(text)' is not WxH (e.g. 1280x800)")
        }
        return (parts[0], parts[1])
    }

    /// A deterministic screenshot-like picture: flat panels, bars and edges over a gradient.
    static func syntheticScreenshot(width: Int, height: Int) throws -> RGB8Buffer {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let o = (y * width + x) * 3
                let panel = (x / 160 + y / 90) % 3
                bytes[o] = UInt8(truncatingIfNeeded: 230 - panel * 40 + (y % 24 < 2 ? -120 : 0))
                bytes[o + 1] = UInt8(truncatingIfNeeded: 230 - panel * 25 + (x % 200 < 3 ? -150 : 0))
                bytes[o + 2] = UInt8(truncatingIfNeeded: 240 - (x * 60) / max(width, 1))
            }
        }
        return try RGB8Buffer(width: width, height: height, bytes: bytes)
    }

    /// Runs the vision benchmark if asked; returns report rows.
    func run(model: Qwen3VLModel, sgemmPeak: Double) throws -> [(String, String)] {
        guard image != nil || imageSize != nil else { return [] }
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let picture: RGB8Buffer
        if let image {
            picture = try RGB8Buffer(Image(contentsOfPNGFile: image))
        } else {
            let (w, h) = try Self.parseSize(imageSize ?? "")
            picture = try Self.syntheticScreenshot(width: w, height: h)
        }
        let processor = try model.imageProcessor()
        let t0 = now()
        let processed = try processor.process(picture, budget: try budget.budget(for: processor))
        let preprocessSeconds = now() - t0
        let t1 = now()
        let encoder = try model.makeVisionEncoder()
        let visionLoadSeconds = now() - t1
        log("vision: \(picture.width)×\(picture.height) → \(processed.resizedWidth)×\(processed.resizedHeight), "
            + "\(processed.patchCount) patches, \(processed.tokenCount) tokens; encoding…")
        let t2 = now(), cpu2 = ProcessCPU.seconds()
        let features = try encoder.encode([processed])
        let encodeSeconds = now() - t2, encodeCPU = ProcessCPU.seconds() - cpu2

        // FLOPs: 2 per multiply-add of every linear layer per patch, plus attention within the image
        // (q·kᵀ and p·v: 2·2·N²·Dv per block).
        let v = model.configuration.vision
        let n = Double(processed.patchCount)
        let visionFlops = 2 * encoder.weights.linearMACsPerPatch * n + 4 * n * n * Double(v.hiddenSize) * Double(v.depth)
        let visionGFLOPS = visionFlops / encodeSeconds / 1e9

        // Multimodal prefill: a short chat-like prompt around the image.
        let c = model.configuration
        let ids = [11, 12, 13, c.visionStartTokenId, c.imageTokenId, c.visionEndTokenId] + Array(20..<52)
        let prompt = try MultimodalPrompt.build(ids: ids, imageTokenId: c.imageTokenId, features: features)
        let decoder = model.makeDecoder(contextCapacity: prompt.tokens.count, batchCapacity: min(prompt.tokens.count, 512))
        log("vision: multimodal prefill of \(prompt.tokens.count) tokens…")
        let t3 = now(), cpu3 = ProcessCPU.seconds()
        try decoder.prefill(prompt)
        let prefillSeconds = now() - t3, prefillCPU = ProcessCPU.seconds() - cpu3
        let threads = Double(BLAS.threadCount)
        let t = Double(prompt.tokens.count), text = c.text
        let prefillFlops = 2 * Double(model.weights.linearParameterCount - model.weights.lmHead.count) * t
            + 2 * Double(model.weights.lmHead.count)
            + 4 * Double(text.headCount * text.headDim * text.layerCount) * t * (t + 1) / 2
        let prefillGFLOPS = prefillFlops / prefillSeconds / 1e9
        let endToEnd = preprocessSeconds + encodeSeconds + prefillSeconds
        let memory = ProcessMemory.read()

        return [
            ("vision_image", image ?? "synthetic \(picture.width)x\(picture.height)"),
            ("vision_resized", "\(processed.resizedWidth)x\(processed.resizedHeight)"),
            ("vision_patches", "\(processed.patchCount)"),
            ("vision_image_tokens", "\(processed.tokenCount)"),
            ("vision_weights_gb", String(format: "%.2f", Double(encoder.weights.byteCount) / 1e9)),
            ("vision_load_seconds", String(format: "%.2f", visionLoadSeconds)),
            ("vision_preprocess_seconds", String(format: "%.3f", preprocessSeconds)),
            ("vision_encode_seconds", String(format: "%.3f", encodeSeconds)),
            ("vision_patches_per_second", String(format: "%.2f", n / encodeSeconds)),
            ("vision_gflop", String(format: "%.1f", visionFlops / 1e9)),
            ("vision_gflops", String(format: "%.1f", visionGFLOPS)),
            ("vision_fraction_of_sgemm_peak", String(format: "%.3f", visionGFLOPS / sgemmPeak)),
            ("vision_cpu_seconds", String(format: "%.1f", encodeCPU)),
            ("vision_cpu_share_of_threads", String(format: "%.2f", encodeCPU / (encodeSeconds * threads))),
            ("image_prefill_tokens", "\(prompt.tokens.count)"),
            ("image_prefill_seconds", String(format: "%.3f", prefillSeconds)),
            ("image_prefill_tokens_per_second", String(format: "%.2f", t / prefillSeconds)),
            ("image_prefill_gflops", String(format: "%.1f", prefillGFLOPS)),
            ("image_prefill_fraction_of_sgemm_peak", String(format: "%.3f", prefillGFLOPS / sgemmPeak)),
            ("image_prefill_cpu_seconds", String(format: "%.1f", prefillCPU)),
            ("image_prefill_cpu_share_of_threads", String(format: "%.2f", prefillCPU / (prefillSeconds * threads))),
            ("image_end_to_end_seconds", String(format: "%.2f", endToEnd)),
            ("peak_rss_after_vision_gb", memory.map { String(format: "%.2f", Double($0.peak) / 1e9) } ?? "n/a"),
        ]
    }
}
