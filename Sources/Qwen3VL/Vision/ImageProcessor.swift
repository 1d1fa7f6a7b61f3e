// Qwen3VL: image → pixel rows + grid for the vision encoder.
// Ported from transformers `models/qwen2_vl/image_processing_qwen2_vl.py` (`Qwen2VLImageProcessor._preprocess`,
// torchvision backend = the shipped `Qwen2VLImageProcessorFast`), v5.24.0.

/// One processed image: what the vision encoder and the prompt builder need.
public struct ProcessedImage: Sendable {
    /// `[gridT·gridH·gridW, 3·Tp·P·P]` row-major, merge-block order.
    public var pixelValues: [Float]
    public var gridT: Int
    public var gridH: Int
    public var gridW: Int
    /// Size after smart_resize (what the encoder saw) and before (what grounding maps back to).
    public var resizedWidth: Int
    public var resizedHeight: Int
    public var originalWidth: Int
    public var originalHeight: Int
    /// `gh·gw / merge²`: how many image tokens this image occupies in the prompt.
    public var tokenCount: Int
    public var patchCount: Int { gridT * gridH * gridW }
}

/// smart_resize → bicubic resize → rescale/normalize → temporal duplication → patchify (reference notes §2.3).
public struct ImageProcessor: Sendable {
    public var configuration: PreprocessorConfiguration

    public init(configuration: PreprocessorConfiguration = PreprocessorConfiguration()) {
        self.configuration = configuration
    }

    /// The resized size and grid for an image, without touching pixels (prompt building, bench planning).
    public func plan(width: Int, height: Int, budget: PixelBudget? = nil) throws
        -> (width: Int, height: Int, gridH: Int, gridW: Int, tokens: Int) {
        let c = configuration
        let factor = c.patchSize * c.mergeSize
        let (h, w) = try SmartResize.size(height: height, width: width, factor: factor, budget: budget ?? c.budget)
        let gh = h / c.patchSize, gw = w / c.patchSize
        return (w, h, gh, gw, gh * gw / (c.mergeSize * c.mergeSize))
    }

    /// Processes one image. `budget` replaces the file's pixel budget (`--min-pixels` / `--max-pixels`).
    public func process(_ image: RGB8Buffer, budget: PixelBudget? = nil) throws -> ProcessedImage {
        let c = configuration
        let p = try plan(width: image.width, height: image.height, budget: budget)
        let resized = (p.width, p.height) == (image.width, image.height)
            ? image : BicubicResize.resize(image, width: p.width, height: p.height)
        let values = Patchify.pixelValues(resized, patchSize: c.patchSize, mergeSize: c.mergeSize,
                                          temporalPatchSize: c.temporalPatchSize, mean: c.imageMean, std: c.imageStd)
        // A still image is one frame repeated to fill Tp slices: one temporal patch.
        return ProcessedImage(pixelValues: values, gridT: 1, gridH: p.gridH, gridW: p.gridW,
                              resizedWidth: p.width, resizedHeight: p.height,
                              originalWidth: image.width, originalHeight: image.height, tokenCount: p.tokens)
    }
}
