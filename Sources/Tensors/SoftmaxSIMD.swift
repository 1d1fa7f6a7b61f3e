// Tensors: softmax with a vectorised exp, for the long rows of full attention over an image (thousands of keys
// per row; with libm's scalar expf the exponentials cost more than the attention products themselves).
// exp: Cephes `expf` (range reduction by ln 2 split in two, degree-5 polynomial), accurate to ~2 ulp.

extension Kernels {
    /// `exp(x)` for 8 lanes; inputs below −87 give ~1e-38 (the smallest normal range), never garbage.
    @inline(__always)
    public static func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = input.clamped(lowerBound: SIMD8(repeating: -87), upperBound: SIMD8(repeating: 88))
        let n = (x * 1.44269504088896341).rounded(.toNearestOrEven)
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * (r * r) + r + 1
        // 2^n built in the exponent field. n is integral in [−126, 128]; adding 1.5·2^23 (+127) puts n + 127 in
        // the low mantissa bits, read back by subtracting that constant's bits — a vector float→int conversion
        // (SIMD8<Int32>(_:rounding:) converts lane by lane).
        let biased = unsafeBitCast(n + (12_582_912 + 127), to: SIMD8<Int32>.self) &- 0x4B40_0000
        return y * unsafeBitCast(biased &<< 23, to: SIMD8<Float>.self)
    }

    /// In-place softmax of the first `n` entries of a row, 8 lanes at a time (same result as `softmax` to a
    /// few ulp).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, n: Int) {
        guard n > 0 else { return }
        let raw = UnsafeMutableRawPointer(x)
        let vectors = n / 8
        var maxV = SIMD8<Float>(repeating: -.infinity)
        for v in 0..<vectors {
            let x8 = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
            maxV.replace(with: x8, where: x8 .> maxV)   // (the generic pointwiseMax was not inlined)
        }
        var maximum = maxV.max()
        for i in (vectors * 8)..<n where x[i] > maximum { maximum = x[i] }
        let m = SIMD8<Float>(repeating: maximum)
        var sumV = SIMD8<Float>.zero
        for v in 0..<vectors {
            let e = exp8(raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - m)
            raw.storeBytes(of: e, toByteOffset: v * 32, as: SIMD8<Float>.self)
            sumV += e
        }
        var sum = sumV.sum()
        for i in (vectors * 8)..<n {
            let e = exp8(SIMD8(repeating: x[i] - maximum))[0]
            x[i] = e
            sum += e
        }
        let inv = SIMD8<Float>(repeating: 1 / sum)
        for v in 0..<vectors {
            let e = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) * inv
            raw.storeBytes(of: e, toByteOffset: v * 32, as: SIMD8<Float>.self)
        }
        for i in (vectors * 8)..<n { x[i] *= inv[0] }
    }
}
