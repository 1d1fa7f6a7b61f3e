/// What changed between two images of one size.
public struct ImageDifference: Equatable, Sendable {
    /// Pixels where some channel differs by more than the threshold.
    public var changedPixels: Int
    /// The smallest rectangle holding every changed pixel; nil when nothing changed.
    public var boundingBox: PixelRect?
    public var totalPixels: Int

    public var isEmpty: Bool { changedPixels == 0 }
    public var changedFraction: Double { totalPixels == 0 ? 0 : Double(changedPixels) / Double(totalPixels) }
}

extension Image {
    /// Compares with `other` pixel by pixel. A pixel counts as changed when any channel differs
    /// by more than `threshold` (0 = any difference).
    public func difference(from other: Image, threshold: UInt8 = 0) throws -> ImageDifference {
        guard width == other.width, height == other.height else {
            throw ImagingError.sizeMismatch(width: width, height: height, otherWidth: other.width,
                                            otherHeight: other.height)
        }
        var changed = 0
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        let t = Int(threshold)
        pixels.withUnsafeBufferPointer { a in
            other.pixels.withUnsafeBufferPointer { b in
                for y in 0..<height {
                    let row = y * width * 3
                    for x in 0..<width {
                        let i = row + x * 3
                        if abs(Int(a[i]) - Int(b[i])) > t || abs(Int(a[i + 1]) - Int(b[i + 1])) > t
                            || abs(Int(a[i + 2]) - Int(b[i + 2])) > t {
                            changed += 1
                            if x < minX { minX = x }
                            if x > maxX { maxX = x }
                            if y < minY { minY = y }
                            maxY = y
                        }
                    }
                }
            }
        }
        let box = changed == 0 ? nil : PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
        return ImageDifference(changedPixels: changed, boundingBox: box, totalPixels: width * height)
    }
}
