import XCTest
@testable import Imaging

final class PNGTests: XCTestCase {
    /// A deterministic image with every channel varying, so a swapped or shifted channel shows.
    static func pattern(width: Int, height: Int) throws -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 7 + y) & 0xff)
                pixels[i + 1] = UInt8((y * 13 + x * 3) & 0xff)
                pixels[i + 2] = UInt8((x ^ y) & 0xff)
            }
        }
        return try Image(width: width, height: height, pixels: pixels)
    }

    func testRoundTripOddSizes() throws {
        for (w, h) in [(1, 1), (1, 7), (7, 1), (3, 5), (17, 9), (255, 3), (641, 401)] {
            let image = try Self.pattern(width: w, height: h)
            for level in [0, 1, 6, 9] {
                for filter in [Image.PNGFilter.none, .sub, .adaptive] {
                    let png = try image.pngData(level: level, filter: filter)
                    XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
                    let back = try Image(pngData: png)
                    XCTAssertEqual(back, image, "\(w)x\(h) level \(level) filter \(filter)")
                }
            }
        }
    }

    func testFileRoundTrip() throws {
        let image = try Self.pattern(width: 33, height: 21)
        let path = NSTemporaryDirectory() + "imaging-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try image.writePNG(to: path)
        XCTAssertEqual(try Image(contentsOfPNGFile: path), image)
    }

    func testHigherLevelIsNotLarger() throws {
        let image = try Self.pattern(width: 200, height: 100)
        let fast = try image.pngData(level: 1)
        let small = try image.pngData(level: 9, filter: .adaptive)
        XCTAssertLessThanOrEqual(small.count, fast.count)
    }

    func testEveryTruncationIsAnError() throws {
        let png = try Self.pattern(width: 19, height: 11).pngData()
        for cut in 0..<png.count {
            XCTAssertThrowsError(try Image(pngData: Array(png.prefix(cut))), "cut at \(cut)") { error in
                guard let e = error as? ImagingError else { return XCTFail("\(error)") }
                switch e {
                case .notPNG, .truncatedPNG, .malformedPNG: break
                default: XCTFail("cut at \(cut): unexpected \(e)")
                }
            }
        }
        // Cutting inside the image data says "truncated".
        XCTAssertThrowsError(try Image(pngData: Array(png.prefix(png.count - 20)))) { error in
            guard case ImagingError.truncatedPNG = error else { return XCTFail("\(error)") }
        }
    }

    func testGarbageIsNotPNG() {
        XCTAssertThrowsError(try Image(pngData: [])) { XCTAssertEqual($0 as? ImagingError, .notPNG(byteCount: 0)) }
        let garbage = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        XCTAssertThrowsError(try Image(pngData: garbage)) { XCTAssertEqual($0 as? ImagingError, .notPNG(byteCount: 1000)) }
    }

    func testCorruptedBytesNeverCrash() throws {
        let png = try Self.pattern(width: 23, height: 17).pngData(level: 6, filter: .adaptive)
        var rng = SystemRandomNumberGenerator()
        var failures = 0
        for trial in 0..<300 {
            var bad = png
            // Keep the signature so libpng parses further; flip 1-4 bytes after it.
            for _ in 0...(trial % 4) { bad[Int.random(in: 8..<bad.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            do { _ = try Image(pngData: bad) } catch is ImagingError { failures += 1 }
        }
        // CRCs catch nearly every flip; the point is that none crashed and the errors are typed.
        XCTAssertGreaterThan(failures, 250)
    }

    /// A header claiming 60000x60000 must be refused before any pixel buffer is allocated.
    func testHugeDimensionsInHeaderAreRefused() throws {
        var png = try Self.pattern(width: 4, height: 4).pngData()
        // IHDR data starts at byte 16: width (4 bytes BE), height (4 bytes BE); CRC over type+data.
        func put(_ v: UInt32, at i: Int) { for k in 0..<4 { png[i + k] = UInt8((v >> (24 - 8 * k)) & 0xff) } }
        put(60000, at: 16)
        put(60000, at: 20)
        put(crc32(Array(png[12..<29])), at: 29)
        XCTAssertThrowsError(try Image(pngData: png)) { error in
            guard case ImagingError.pngTooLarge = error else { return XCTFail("\(error)") }
        }
        // Beyond libpng's own 65535 limit too.
        put(1_000_000, at: 16)
        put(crc32(Array(png[12..<29])), at: 29)
        XCTAssertThrowsError(try Image(pngData: png)) { error in
            guard case ImagingError.pngTooLarge = error else { return XCTFail("\(error)") }
        }
        // And the caller's own limit.
        let ok = try Self.pattern(width: 100, height: 100).pngData()
        XCTAssertThrowsError(try Image(pngData: ok, maxPixels: 9999)) { error in
            guard case ImagingError.pngTooLarge = error else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try Image(pngData: ok, maxPixels: 10000))
    }

    func testDecodesGrayAlphaAndPaletteFromOtherEncoders() throws {
        // A 2x1 grayscale+alpha PNG and a 1x1 palette PNG, written by hand (zlib stored blocks).
        let gray = makePNG(width: 2, height: 1, colorType: 4, raw: [0, 0x10, 0xff, 0xf0, 0x80], plte: nil)
        let g = try Image(pngData: gray)
        XCTAssertEqual(g.pixels, [0x10, 0x10, 0x10, 0xf0, 0xf0, 0xf0])
        let palette = makePNG(width: 1, height: 1, colorType: 3, raw: [0, 1], plte: [1, 2, 3, 200, 100, 50])
        XCTAssertEqual(try Image(pngData: palette).pixels, [200, 100, 50])
        // Palette index out of range is malformed, not a crash.
        let badIndex = makePNG(width: 1, height: 1, colorType: 3, raw: [0, 9], plte: [1, 2, 3])
        do {
            let decoded = try Image(pngData: badIndex)
            XCTAssertEqual(decoded.width, 1)
        } catch {
            XCTAssertTrue(error is ImagingError, "\(error)")
        }
    }

    func testInvalidImageArguments() {
        XCTAssertThrowsError(try Image(width: 0, height: 3))
        XCTAssertThrowsError(try Image(width: 2, height: 2, pixels: [1, 2, 3]))
        XCTAssertThrowsError(try Image(width: 1 << 20, height: 1 << 20))
        XCTAssertThrowsError(try Image(width: 2, height: 2).pngData(level: 12))
    }

    // MARK: - A minimal PNG writer for fixtures other than our own encoder's output.

    private func makePNG(width: UInt32, height: UInt32, colorType: UInt8, raw: [UInt8], plte: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
        func chunk(_ type: String, _ data: [UInt8]) {
            let body = Array(type.utf8) + data
            out += be(UInt32(data.count)) + body + be(crc32(body))
        }
        chunk("IHDR", be(width) + be(height) + [8, colorType, 0, 0, 0])
        if let plte { chunk("PLTE", plte) }
        // zlib: header, one stored block, adler32.
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let n = UInt16(raw.count)
        let z: [UInt8] = [0x78, 0x01, 0x01, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8(~n >> 8)] + raw + be((b << 16) | a)
        chunk("IDAT", z)
        chunk("IEND", [])
        return out
    }
}

/// CRC-32 as PNG uses it (ISO 3309), bitwise; fixtures only.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xffff_ffff
    for byte in bytes {
        c ^= UInt32(byte)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xffff_ffff
}
