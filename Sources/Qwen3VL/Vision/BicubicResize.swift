// Qwen3VL: the bicubic resize of the reference image processor, bit for bit.
// Ported from PyTorch `aten/src/ATen/native/cpu/UpSampleKernel.cpp` (`_compute_weights_aa`,
// `_compute_index_ranges_int16_weights`) and `UpSampleKernelAVXAntialias.h`, which is what the shipped
// `Qwen2VLImageProcessorFast` runs: torchvision `resize(uint8 image, BICUBIC, antialias=True)` hands the uint8
// tensor to `F.interpolate(mode="bicubic", antialias=True)` on CPU. That kernel is Pillow's resampler
// (Keys cubic with a = −0.5, support widened by the scale when shrinking) with int16 fixed-point weights.
//
// Tolerance: identical bytes to torch 2.13 on every fixture image and on 30 random sizes (up and down,
// 5…120 px) checked while porting; the slow PIL processor differs from this by up to 2 levels
// (images/index.json in the fixtures records it per image).

/// Separable antialiased bicubic resize of RGB8 images: a horizontal pass, a uint8 intermediate, a vertical pass.
public enum BicubicResize {
    /// `image` stretched to exactly `width × height` (no aspect-preserving padding; reference notes §2.3).
    public static func resize(_ image: RGB8Buffer, width: Int, height: Int) -> RGB8Buffer {
        var pixels = image.bytes
        var w = image.width
        let h = image.height
        if width != w {
            pixels = horizontal(pixels, width: w, height: h, to: width)
            w = width
        }
        if height != h {
            pixels = vertical(pixels, width: w, height: h, to: height)
        }
        return RGB8Buffer(unchecked: w, height, pixels)
    }

    /// Taps of one output index: the first input index and one integer weight per input index.
    struct Taps {
        var start: [Int]
        var count: [Int]
        /// `[outputSize, maxTaps]`, zero-padded.
        var weights: [Int32]
        var maxTaps: Int
        /// Weights are fixed point with this many fractional bits.
        var precision: Int
    }

    /// Pillow's bicubic kernel, a = −0.5.
    @inline(__always)
    static func cubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// `_compute_weights_aa` for every output index, then the int16 quantisation of
    /// `_compute_index_ranges_int16_weights`.
    static func taps(inputSize: Int, outputSize: Int) -> Taps {
        let scale = Double(inputSize) / Double(outputSize)
        let interpolationSize = 4.0
        // support = (scale >= 1.0) ? (interp_size * 0.5) * scale : interp_size * 0.5
        let support = scale >= 1 ? interpolationSize * 0.5 * scale : interpolationSize * 0.5
        let invScale = scale >= 1 ? 1 / scale : 1
        let maxTaps = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var real = [Double](repeating: 0, count: outputSize * maxTaps)
        var largest = 0.0
        for i in 0..<outputSize {
            let center = scale * (Double(i) + 0.5)
            // C++ static_cast<int64_t> truncates toward zero.
            let xmin = max(Int(center - support + 0.5), 0)
            let xsize = min(max(min(Int(center + support + 0.5), inputSize) - xmin, 0), maxTaps)
            var total = 0.0
            for j in 0..<xsize {
                let w = cubic((Double(j + xmin) - center + 0.5) * invScale)
                real[i * maxTaps + j] = w
                total += w
            }
            if total != 0 {
                for j in 0..<xsize {
                    real[i * maxTaps + j] /= total
                    largest = max(largest, real[i * maxTaps + j])
                }
            }
            start[i] = xmin
            count[i] = xsize
        }
        // The most fractional bits for which the largest weight still fits an int16.
        var precision = 0
        while precision < 22 {
            if Int(0.5 + largest * Double(1 << (precision + 1))) >= 1 << 15 { break }
            precision += 1
        }
        let weights = real.map { w -> Int32 in
            let v = w * Double(1 << precision)
            return Int32(v < 0 ? Int(-0.5 + v) : Int(0.5 + v))
        }
        return Taps(start: start, count: count, weights: weights, maxTaps: maxTaps, precision: precision)
    }

    @inline(__always)
    static func clampToByte(_ acc: Int32, _ precision: Int) -> UInt8 {
        let v = acc >> Int32(precision)
        return UInt8(truncatingIfNeeded: min(max(v, 0), 255))
    }

    static func horizontal(_ src: [UInt8], width: Int, height: Int, to outWidth: Int) -> [UInt8] {
        let t = taps(inputSize: width, outputSize: outWidth)
        var dst = [UInt8](repeating: 0, count: outWidth * height * 3)
        let rounding = Int32(1) << Int32(max(t.precision - 1, 0))
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                for y in 0..<height {
                    let row = y * width * 3
                    for x in 0..<outWidth {
                        var r = rounding, g = rounding, b = rounding
                        let base = row + t.start[x] * 3
                        for k in 0..<t.count[x] {
                            let w = t.weights[x * t.maxTaps + k]
                            r &+= Int32(s[base + 3 * k]) &* w
                            g &+= Int32(s[base + 3 * k + 1]) &* w
                            b &+= Int32(s[base + 3 * k + 2]) &* w
                        }
                        let o = (y * outWidth + x) * 3
                        d[o] = clampToByte(r, t.precision)
                        d[o + 1] = clampToByte(g, t.precision)
                        d[o + 2] = clampToByte(b, t.precision)
                    }
                }
            }
        }
        return dst
    }

    static func vertical(_ src: [UInt8], width: Int, height: Int, to outHeight: Int) -> [UInt8] {
        let t = taps(inputSize: height, outputSize: outHeight)
        let stride = width * 3
        var dst = [UInt8](repeating: 0, count: outHeight * stride)
        let rounding = Int32(1) << Int32(max(t.precision - 1, 0))
        var acc = [Int32](repeating: 0, count: stride)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                for y in 0..<outHeight {
                    for i in 0..<stride { acc[i] = rounding }
                    for k in 0..<t.count[y] {
                        let w = t.weights[y * t.maxTaps + k]
                        let row = (t.start[y] + k) * stride
                        for i in 0..<stride { acc[i] &+= Int32(s[row + i]) &* w }
                    }
                    let o = y * stride
                    for i in 0..<stride { d[o + i] = clampToByte(acc[i], t.precision) }
                }
            }
        }
        return dst
    }
}
