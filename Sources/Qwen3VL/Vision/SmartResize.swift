// Qwen3VL: the target size of an image before patchify.
// Ported from transformers `models/qwen2_vl/image_processing_qwen2_vl.py` (`smart_resize`), v5.24.0.

import Foundation

/// How many pixels an image may have after resizing: `minPixels` (`size.shortest_edge` in
/// `preprocessor_config.json`) … `maxPixels` (`size.longest_edge`). Each merged image token covers 32×32 pixels,
/// so the shipped 65536…16777216 is 64…16384 tokens.
public struct PixelBudget: Equatable, Sendable, CustomStringConvertible {
    public var minPixels: Int
    public var maxPixels: Int

    /// The budget Qwen3-VL ships with (reference notes §2.1).
    public static let qwen3VLDefault = PixelBudget(unchecked: 65_536, 16_777_216)

    public init(minPixels: Int, maxPixels: Int) throws {
        guard minPixels >= 1, maxPixels >= minPixels, maxPixels <= 1 << 30 else {
            throw Qwen3VLError.invalidPixelBudget(minPixels: minPixels, maxPixels: maxPixels)
        }
        self.minPixels = minPixels
        self.maxPixels = maxPixels
    }

    init(unchecked minPixels: Int, _ maxPixels: Int) {
        self.minPixels = minPixels
        self.maxPixels = maxPixels
    }

    /// The same budget with either end replaced (the `--min-pixels` / `--max-pixels` options).
    public func overriding(minPixels newMin: Int?, maxPixels newMax: Int?) throws -> PixelBudget {
        try PixelBudget(minPixels: newMin ?? minPixels, maxPixels: newMax ?? maxPixels)
    }

    public var description: String { "\(minPixels)…\(maxPixels) pixels" }
}

/// `smart_resize`: both sides multiples of `factor` (patch · merge = 32), the area inside the budget, the
/// aspect ratio kept as closely as that allows.
public enum SmartResize {
    /// The resized `(height, width)` for an image of `height × width` pixels.
    ///
    /// Python's `round` rounds halves to even (`round(2.5) == 2`), so 80 px → 64, not 96; `.toNearestOrEven`
    /// is that rule (llama.cpp rounds halves away from zero and differs here).
    public static func size(height: Int, width: Int, factor: Int = 32,
                            budget: PixelBudget) throws -> (height: Int, width: Int) {
        guard height > 0, width > 0, factor > 0 else {
            throw Qwen3VLError.invalidImage(reason: "size \(width)×\(height) is empty")
        }
        let h = Double(height), w = Double(width), f = Double(factor)
        // if max(height, width) / min(height, width) > 200: raise ValueError(...)
        guard max(h, w) / min(h, w) <= 200 else {
            throw Qwen3VLError.imageTooElongated(width: width, height: height)
        }
        // h_bar = round(height / factor) * factor
        var hBar = Int((h / f).rounded(.toNearestOrEven)) * factor
        var wBar = Int((w / f).rounded(.toNearestOrEven)) * factor
        if hBar * wBar > budget.maxPixels {
            // beta = math.sqrt((height * width) / max_pixels)
            let beta = ((h * w) / Double(budget.maxPixels)).squareRoot()
            hBar = max(factor, Int((h / beta / f).rounded(.down)) * factor)
            wBar = max(factor, Int((w / beta / f).rounded(.down)) * factor)
        } else if hBar * wBar < budget.minPixels {
            let beta = (Double(budget.minPixels) / (h * w)).squareRoot()
            hBar = Int((h * beta / f).rounded(.up)) * factor
            wBar = Int((w * beta / f).rounded(.up)) * factor
        }
        return (hBar, wBar)
    }
}
