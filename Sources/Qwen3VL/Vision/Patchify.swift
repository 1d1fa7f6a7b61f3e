// Qwen3VL: normalized pixels cut into the rows the vision encoder's patch embedding reads.
// Ported from transformers `models/qwen2_vl/image_processing_qwen2_vl.py` (`patchify`, `rescale_and_normalize`
// of the torchvision backend), v5.24.0.

/// Patch rows in merge-block order (reference notes §2.3 step 5).
///
/// Row `n` is the patch at (row = 2·br + ir, col = 2·bc + ic) for `n` running over
/// `br in 0..<gh/2, bc in 0..<gw/2, ir in 0..<2, ic in 0..<2` (merge 2), so every 4 consecutive rows are one
/// 2×2 merge block. Inside a row the column is `c·(Tp·P·P) + t·(P·P) + py·P + px` — the flattening of the
/// Conv3d weight `[Dv, C, Tp, P, P]`. A still image fills both temporal slices with the same frame.
public enum Patchify {
    /// Writes `[gh·gw, 3·Tp·P·P]` floats for an image whose sides are multiples of `patch·merge`.
    ///
    /// `mean`/`std` are per channel in 0…1 units; like the reference's fused rescale + normalize
    /// (`(x − 255·mean) / (255·std)` in float32) so the values match it bit for bit.
    public static func pixelValues(_ image: RGB8Buffer, patchSize p: Int, mergeSize m: Int, temporalPatchSize tp: Int,
                                   mean: [Float], std: [Float]) -> [Float] {
        let gh = image.height / p, gw = image.width / p
        let rowLength = 3 * tp * p * p
        var out = [Float](repeating: 0, count: gh * gw * rowLength)
        // image_mean * (1.0 / rescale_factor): fused in float32 as the reference does.
        let scaledMean = (0..<3).map { mean[$0] * Float(255) }
        let scaledStd = (0..<3).map { std[$0] * Float(255) }
        image.bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var n = 0
                for br in 0..<(gh / m) {
                    for bc in 0..<(gw / m) {
                        for ir in 0..<m {
                            for ic in 0..<m {
                                let row = br * m + ir, col = bc * m + ic
                                let base = n * rowLength
                                for c in 0..<3 {
                                    for py in 0..<p {
                                        let y = row * p + py
                                        for px in 0..<p {
                                            let x = col * p + px
                                            let v = (Float(src[(y * image.width + x) * 3 + c]) - scaledMean[c]) / scaledStd[c]
                                            for t in 0..<tp {
                                                dst[base + c * (tp * p * p) + t * (p * p) + py * p + px] = v
                                            }
                                        }
                                    }
                                }
                                n += 1
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
