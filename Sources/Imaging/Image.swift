/// A picture as packed RGB8: `width * height * 3` bytes, row-major, top row first, no row padding.
///
/// A value type: copies share storage until one is written (Swift arrays' copy on write).
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public internal(set) var pixels: [UInt8]

    /// The largest image this target will allocate: 2^28 pixels (16384 x 16384), 768 MiB of RGB8.
    public static let maxPixels = 1 << 28

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        try Image.checkSize(width: width, height: height, context: "init(width:height:pixels:)")
        guard pixels.count == width * height * 3 else {
            throw ImagingError.pixelCountMismatch(width: width, height: height, count: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: RGB = .black) throws {
        try Image.checkSize(width: width, height: height, context: "init(width:height:fill:)")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != .black {
            pixels.withUnsafeMutableBufferPointer { p in
                var i = 0
                while i < p.count {
                    p[i] = fill.r; p[i + 1] = fill.g; p[i + 2] = fill.b
                    i += 3
                }
            }
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Trusted internal initializer: the caller has checked the sizes.
    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    static func checkSize(width: Int, height: Int, context: String) throws {
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16,
              width * height <= maxPixels else {
            throw ImagingError.invalidSize(width: width, height: height, context: context)
        }
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    /// The colour at (x, y), or nil outside the image.
    public func pixel(x: Int, y: Int) -> RGB? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets the colour at (x, y); points outside the image are ignored (annotations may overhang).
    public mutating func setPixel(x: Int, y: Int, to color: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }
}
