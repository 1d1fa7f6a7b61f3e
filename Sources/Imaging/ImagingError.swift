/// Every failure in Imaging. Each case names what was being done and with which sizes or bytes.
public enum ImagingError: Error, Equatable, CustomStringConvertible {
    /// `pixels.count` does not match `width * height * 3`.
    case pixelCountMismatch(width: Int, height: Int, count: Int)
    case invalidSize(width: Int, height: Int, context: String)
    /// A rectangle that does not lie inside the image.
    case regionOutsideImage(region: PixelRect, width: Int, height: Int)
    /// Two images that must have one size do not.
    case sizeMismatch(width: Int, height: Int, otherWidth: Int, otherHeight: Int)
    case notPNG(byteCount: Int)
    case truncatedPNG(String)
    case malformedPNG(String)
    case pngTooLarge(String)
    case pngEncodeFailed(String)
    case outOfMemory(String)
    case unsupportedPixelFormat(String)
    case fileError(path: String, reason: String)

    public var description: String {
        switch self {
        case let .pixelCountMismatch(w, h, c): return "image \(w)x\(h) needs \(w * h * 3) bytes of RGB8, got \(c)"
        case let .invalidSize(w, h, context): return "invalid image size \(w)x\(h) (\(context))"
        case let .regionOutsideImage(r, w, h): return "region \(r) is not inside the \(w)x\(h) image"
        case let .sizeMismatch(w, h, ow, oh): return "images differ in size: \(w)x\(h) vs \(ow)x\(oh)"
        case let .notPNG(n): return "not a PNG (\(n) bytes, no PNG signature)"
        case let .truncatedPNG(m): return "truncated PNG: \(m)"
        case let .malformedPNG(m): return "malformed PNG: \(m)"
        case let .pngTooLarge(m): return "PNG too large: \(m)"
        case let .pngEncodeFailed(m): return "PNG encode failed: \(m)"
        case let .outOfMemory(m): return "out of memory: \(m)"
        case let .unsupportedPixelFormat(m): return "unsupported pixel format: \(m)"
        case let .fileError(path, reason): return "\(path): \(reason)"
        }
    }
}
