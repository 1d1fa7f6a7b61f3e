// `--image`, `--min-pixels`, `--max-pixels` for the model commands: images read, processed, encoded and placed
// into the prompt. The engine does the work (Qwen3VL: ImageProcessor, VisionEncoder, MultimodalPrompt).
import ArgumentParser
import Foundation
import Imaging
import Qwen3VL

/// The pixel budget of every command that takes an image; defaults to the model's preprocessor_config.json.
struct ImageBudgetOptions: ParsableArguments {
    @Option(help: "Fewest pixels an image is resized to (default: the model's preprocessor_config.json size.shortest_edge).")
    var minPixels: Int?

    @Option(help: "Most pixels an image is resized to (default: the model's preprocessor_config.json size.longest_edge).")
    var maxPixels: Int?

    func validate() throws {
        for (name, value) in [("--min-pixels", minPixels), ("--max-pixels", maxPixels)] {
            if let value, value < 1 { throw ValidationError("\(name) must be ≥ 1") }
        }
        if let lo = minPixels, let hi = maxPixels, lo > hi { throw ValidationError("--min-pixels exceeds --max-pixels") }
    }

    /// The file's budget with these overrides.
    func budget(for processor: ImageProcessor) throws -> PixelBudget {
        try processor.configuration.budget.overriding(minPixels: minPixels, maxPixels: maxPixels)
    }
}

/// Images on the command line, turned into what the decoder needs.
enum VisionInputs {
    /// Reads and processes each PNG (in order).
    static func process(_ paths: [String], model: Qwen3VLModel, budget options: ImageBudgetOptions)
        throws -> [ProcessedImage] {
        let processor = try model.imageProcessor()
        let budget = try options.budget(for: processor)
        return try paths.map { path in
            let image = try RGB8Buffer(Image(contentsOfPNGFile: path))
            let processed = try processor.process(image, budget: budget)
            log("image \(path): \(image.width)×\(image.height) → \(processed.resizedWidth)×\(processed.resizedHeight), "
                + "grid \(processed.gridT)×\(processed.gridH)×\(processed.gridW), \(processed.tokenCount) tokens (budget \(budget))")
            return processed
        }
    }

    /// Encodes the images and places them at the prompt's image tokens (one `image_token_id` per image).
    static func prompt(ids: [Int], images: [ProcessedImage], model: Qwen3VLModel) throws -> MultimodalPrompt {
        try model.checkPrompt(ids, imageCount: images.count)
        let t0 = Date()
        let encoder = try model.makeVisionEncoder()
        let t1 = Date()
        let features = try encoder.encode(images)
        let patches = images.reduce(0) { $0 + $1.patchCount }
        log(String(format: "vision tower loaded in %.2f s; %d patches encoded in %.3f s (%.1f patches/s)",
                   t1.timeIntervalSince(t0), patches, Date().timeIntervalSince(t1),
                   Double(patches) / max(Date().timeIntervalSince(t1), 1e-9)))
        return try MultimodalPrompt.build(ids: ids, imageTokenId: model.configuration.imageTokenId, features: features)
    }
}
