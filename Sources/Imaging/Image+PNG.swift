import CPNG
import Foundation

/// PNG through libpng (the C shim `CPNG` catches libpng's longjmp errors and returns codes).
extension Image {
    /// Row filtering used when encoding.
    public enum PNGFilter: Int32, Sendable {
        /// No filter: fastest; screens are mostly flat colour, so little is lost.
        case none = 0
        case sub = 1
        /// libpng's adaptive per-row choice: smallest files, slowest.
        case adaptive = 2
    }

    /// Encodes as an 8-bit RGB PNG. The defaults (zlib level 1, no filter) favour speed: a
    /// 1280x800 desktop encodes in a few milliseconds.
    public func pngData(level: Int = 1, filter: PNGFilter = .none) throws -> [UInt8] {
        guard (0...9).contains(level) else {
            throw ImagingError.pngEncodeFailed("compression level \(level) is outside 0...9")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: Int(CPNG_MESSAGE_SIZE))
        let code = pixels.withUnsafeBufferPointer { p in
            message.withUnsafeMutableBufferPointer { m in
                cpng_encode_rgb8(p.baseAddress, UInt32(width), UInt32(height), Int32(level), filter.rawValue,
                                 &out, &length, m.baseAddress)
            }
        }
        defer { cpng_free(out) }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard code == Int32(CPNG_OK), let out else {
            if code == Int32(CPNG_NO_MEMORY) { throw ImagingError.outOfMemory(text) }
            throw ImagingError.pngEncodeFailed(text.isEmpty ? "code \(code)" : text)
        }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }

    /// Decodes a PNG of any colour type and bit depth into RGB8 (alpha is dropped).
    /// - Parameter maxPixels: refuse images whose header claims more pixels than this, before
    ///   allocating anything of that size.
    public init(pngData data: [UInt8], maxPixels: Int = Image.maxPixels) throws {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var w: UInt32 = 0, h: UInt32 = 0
        var message = [CChar](repeating: 0, count: Int(CPNG_MESSAGE_SIZE))
        let code = data.withUnsafeBufferPointer { p in
            message.withUnsafeMutableBufferPointer { m in
                cpng_decode_rgb8(p.baseAddress, p.count, UInt64(max(0, min(maxPixels, Image.maxPixels))),
                                 &out, &w, &h, m.baseAddress)
            }
        }
        defer { cpng_free(out) }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(code) {
        case Int(CPNG_OK): break
        case Int(CPNG_NOT_PNG): throw ImagingError.notPNG(byteCount: data.count)
        case Int(CPNG_TRUNCATED): throw ImagingError.truncatedPNG(text)
        case Int(CPNG_TOO_LARGE): throw ImagingError.pngTooLarge(text)
        case Int(CPNG_NO_MEMORY): throw ImagingError.outOfMemory(text)
        default: throw ImagingError.malformedPNG(text.isEmpty ? "code \(code)" : text)
        }
        guard let out else { throw ImagingError.malformedPNG("decoder returned no pixels") }
        let width = Int(w), height = Int(h)
        try Image.checkSize(width: width, height: height, context: "PNG header")
        self.init(unchecked: width, height, Array(UnsafeBufferPointer(start: out, count: width * height * 3)))
    }

    /// Reads and decodes a PNG file.
    public init(contentsOfPNGFile path: String, maxPixels: Int = Image.maxPixels) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImagingError.fileError(path: path, reason: "cannot be read")
        }
        try self.init(pngData: [UInt8](data), maxPixels: maxPixels)
    }

    /// Encodes and writes a PNG file (atomically: a reader never sees half a file).
    public func writePNG(to path: String, level: Int = 1, filter: PNGFilter = .none) throws {
        let bytes = try pngData(level: level, filter: filter)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImagingError.fileError(path: path, reason: "\(error)")
        }
    }
}
