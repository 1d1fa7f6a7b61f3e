/// Conversion from packed true-colour pixels, as X11 ZPixmap images hold them, into RGB8.
///
/// It lives here rather than in Desktop because this target is compiled with `-O` in every build
/// configuration: a 1280x800 conversion takes about a millisecond optimized and tens unoptimized.
extension Image {
    /// The layout of one packed pixel: 3 or 4 bytes per pixel, little- or big-endian, channels
    /// at the bit positions of their masks (e.g. red 0xff0000, green 0x00ff00, blue 0x0000ff).
    public struct PackedFormat: Sendable, Equatable {
        public var bytesPerPixel: Int
        public var bigEndian: Bool
        public var redMask: UInt32
        public var greenMask: UInt32
        public var blueMask: UInt32

        public init(bytesPerPixel: Int, bigEndian: Bool, redMask: UInt32, greenMask: UInt32, blueMask: UInt32) {
            self.bytesPerPixel = bytesPerPixel
            self.bigEndian = bigEndian
            self.redMask = redMask
            self.greenMask = greenMask
            self.blueMask = blueMask
        }

        /// The usual 24-bit-depth layout: bytes B, G, R, X in memory.
        public static let bgrx = PackedFormat(bytesPerPixel: 4, bigEndian: false,
                                              redMask: 0xff0000, greenMask: 0xff00, blueMask: 0xff)
    }

    /// Copies `height` rows of `bytesPerRow` bytes each from `source` into a new RGB8 image.
    public init(packed source: UnsafeRawPointer, width: Int, height: Int, bytesPerRow: Int,
                format: PackedFormat) throws {
        try Image.checkSize(width: width, height: height, context: "packed pixels")
        let bpp = format.bytesPerPixel
        guard bpp == 3 || bpp == 4, bytesPerRow >= width * bpp else {
            throw ImagingError.unsupportedPixelFormat(
                "\(bpp) bytes per pixel, \(bytesPerRow) bytes per row for width \(width)")
        }
        func shift(_ mask: UInt32) -> Int? {
            switch mask {
            case 0xff: return 0
            case 0xff00: return 8
            case 0xff_0000: return 16
            case 0xff00_0000: return 24
            default: return nil
            }
        }
        guard let rs = shift(format.redMask), let gs = shift(format.greenMask), let bs = shift(format.blueMask) else {
            let masks = [format.redMask, format.greenMask, format.blueMask].map { "0x" + String($0, radix: 16) }
            throw ImagingError.unsupportedPixelFormat(
                "channel masks r=\(masks[0]) g=\(masks[1]) b=\(masks[2]) are not 8-bit aligned")
        }
        // A channel must lie inside the pixel: a 24-bit mask in a 3-byte pixel would read the next pixel.
        guard [rs, gs, bs].allSatisfy({ $0 / 8 < bpp }) else {
            throw ImagingError.unsupportedPixelFormat("a channel mask lies outside the \(bpp)-byte pixel")
        }
        // Byte offset of each channel within the pixel in memory.
        let width3 = width * 3
        func offset(_ s: Int) -> Int { format.bigEndian ? bpp - 1 - s / 8 : s / 8 }
        let ro = offset(rs), go = offset(gs), bo = offset(bs)
        var pixels = [UInt8](repeating: 0, count: width3 * height)
        pixels.withUnsafeMutableBufferPointer { dst in
            guard let d = dst.baseAddress else { return }
            let s = source.assumingMemoryBound(to: UInt8.self)
            if bpp == 4 && !format.bigEndian && ro == 2 && go == 1 && bo == 0 {
                // The common case (BGRX), unrolled by hand.
                for y in 0..<height {
                    var sp = s + y * bytesPerRow
                    var dp = d + y * width3
                    for _ in 0..<width {
                        dp[0] = sp[2]; dp[1] = sp[1]; dp[2] = sp[0]
                        sp += 4
                        dp += 3
                    }
                }
            } else {
                for y in 0..<height {
                    var sp = s + y * bytesPerRow
                    var dp = d + y * width3
                    for _ in 0..<width {
                        dp[0] = sp[ro]; dp[1] = sp[go]; dp[2] = sp[bo]
                        sp += bpp
                        dp += 3
                    }
                }
            }
        }
        self.init(unchecked: width, height, pixels)
    }
}
