extension Image {
    /// The part of the image inside `region`, which must lie wholly inside the image.
    public func cropped(to region: PixelRect) throws -> Image {
        guard !region.isEmpty, region.x >= 0, region.y >= 0, region.maxX <= width, region.maxY <= height else {
            throw ImagingError.regionOutsideImage(region: region, width: width, height: height)
        }
        let rowBytes = region.width * 3
        var out = [UInt8](repeating: 0, count: rowBytes * region.height)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for row in 0..<region.height {
                    (d + row * rowBytes).update(from: s + ((region.y + row) * width + region.x) * 3, count: rowBytes)
                }
            }
        }
        return Image(unchecked: region.width, region.height, out)
    }
}
