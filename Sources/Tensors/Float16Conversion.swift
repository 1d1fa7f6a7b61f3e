// Tensors: half-precision → float32 conversion for checkpoint loading.

/// Conversions from the 16-bit float formats found in checkpoints.
public enum Float16Conversion {
    /// bfloat16 is the top half of a float32, so widening is a shift.
    @inline(__always) public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// IEEE 754 binary16 → float32, including subnormals, infinities and NaN.
    @inline(__always) public static func f16ToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// Widens `count` little-endian bf16 values at `source` (any alignment) into `destination`.
    public static func convertBF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        let dst = UnsafeMutableRawPointer(destination)
        var i = 0
        while i + 8 <= count {
            let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            dst.storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: bits) &<< 16, toByteOffset: 4 * i, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            destination[i] = bf16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            i += 1
        }
    }

    /// Widens `count` little-endian binary16 values at `source` (any alignment) into `destination`.
    public static func convertF16(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            destination[i] = f16ToFloat(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    /// Copies `count` little-endian float32 values at `source` (any alignment) into `destination`.
    public static func copyF32(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
    }
}
