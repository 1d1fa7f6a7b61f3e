// Qwen3VL: `preprocessor_config.json`, decoded and validated once.
// Field meanings from transformers `models/qwen2_vl/image_processing_qwen2_vl.py` (v5.24.0).

import Foundation

/// The image processor's settings. The file overrides the Qwen2-VL class defaults (CLIP mean/std, patch 14),
/// so every field the engine depends on must come from it or from the Qwen3-VL values below
/// (reference notes §2.1).
public struct PreprocessorConfiguration: Equatable, Sendable {
    public var patchSize: Int = 16
    public var temporalPatchSize: Int = 2
    public var mergeSize: Int = 2
    public var imageMean: [Float] = [0.5, 0.5, 0.5]
    public var imageStd: [Float] = [0.5, 0.5, 0.5]
    public var budget: PixelBudget = .qwen3VLDefault

    public static let fileName = "preprocessor_config.json"

    public init() {}

    /// `directory/preprocessor_config.json`, or the Qwen3-VL defaults when the file is absent.
    public static func load(directory: String) throws -> PreprocessorConfiguration {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return PreprocessorConfiguration() }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Qwen3VLError.configurationUnreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, file: path)
    }

    /// Decodes and validates the file's JSON (StrictJSON through `JSONFields`: duplicate keys refused, every
    /// field's type checked and named in the error); absent fields keep the Qwen3-VL values.
    public static func decode(_ data: Data, file: String = fileName) throws -> PreprocessorConfiguration {
        func fail(_ field: String, _ reason: String) -> Qwen3VLError {
            .invalidConfiguration(file: file, field: field, reason: reason)
        }
        let f = try JSONFields(data: data, file: file)
        var c = PreprocessorConfiguration()
        c.patchSize = try f.optionalInt("patch_size") ?? c.patchSize
        c.temporalPatchSize = try f.optionalInt("temporal_patch_size") ?? c.temporalPatchSize
        c.mergeSize = try f.optionalInt("merge_size") ?? c.mergeSize
        c.imageMean = try f.optionalDoubleArray("image_mean").map { $0.map(Float.init) } ?? c.imageMean
        c.imageStd = try f.optionalDoubleArray("image_std").map { $0.map(Float.init) } ?? c.imageStd
        // `size` wins; the older min_pixels/max_pixels keys are the same numbers under other names.
        let size = try f.optionalObject("size")
        let minPixels = try size?.optionalInt("shortest_edge") ?? f.optionalInt("min_pixels") ?? c.budget.minPixels
        let maxPixels = try size?.optionalInt("longest_edge") ?? f.optionalInt("max_pixels") ?? c.budget.maxPixels
        do { c.budget = try PixelBudget(minPixels: minPixels, maxPixels: maxPixels) } catch {
            throw fail("size", "shortest_edge \(minPixels) / longest_edge \(maxPixels) is not a pixel budget")
        }
        // The engine implements the standard pipeline only; a file that switches a stage off is refused
        // rather than silently processed differently.
        if try f.optionalBool("do_resize") == false { throw fail("do_resize", "false is not supported") }
        if try f.optionalBool("do_rescale") == false { throw fail("do_rescale", "false is not supported") }
        if try f.optionalBool("do_normalize") == false { throw fail("do_normalize", "false is not supported") }
        if let r = try f.optionalDouble("rescale_factor"), abs(r - 1.0 / 255.0) > 1e-9 {
            throw fail("rescale_factor", "\(r) is not supported (only 1/255)")
        }
        guard (1...64).contains(c.patchSize) else { throw fail("patch_size", "\(c.patchSize) is out of range") }
        guard (1...8).contains(c.temporalPatchSize) else {
            throw fail("temporal_patch_size", "\(c.temporalPatchSize) is out of range")
        }
        guard (1...8).contains(c.mergeSize) else { throw fail("merge_size", "\(c.mergeSize) is out of range") }
        guard c.imageMean.count == 3, c.imageMean.allSatisfy({ $0.isFinite }) else {
            throw fail("image_mean", "needs 3 finite values, got \(c.imageMean)")
        }
        guard c.imageStd.count == 3, c.imageStd.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw fail("image_std", "needs 3 positive values, got \(c.imageStd)")
        }
        return c
    }
}
