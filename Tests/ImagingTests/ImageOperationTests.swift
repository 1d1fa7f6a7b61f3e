import XCTest
@testable import Imaging

final class ImageOperationTests: XCTestCase {
    func testCropOddRegions() throws {
        let image = try PNGTests.pattern(width: 13, height: 7)
        let crop = try image.cropped(to: PixelRect(x: 3, y: 2, width: 5, height: 4))
        XCTAssertEqual(crop.width, 5)
        XCTAssertEqual(crop.height, 4)
        for y in 0..<4 { for x in 0..<5 { XCTAssertEqual(crop.pixel(x: x, y: y), image.pixel(x: x + 3, y: y + 2)) } }
        XCTAssertEqual(try image.cropped(to: image.bounds), image)
        XCTAssertEqual(try image.cropped(to: PixelRect(x: 12, y: 6, width: 1, height: 1)).pixels,
                       [image.pixel(x: 12, y: 6)!.r, image.pixel(x: 12, y: 6)!.g, image.pixel(x: 12, y: 6)!.b])
        for bad in [PixelRect(x: -1, y: 0, width: 2, height: 2), PixelRect(x: 12, y: 0, width: 2, height: 1),
                    PixelRect(x: 0, y: 0, width: 0, height: 3), PixelRect(x: 0, y: 6, width: 1, height: 2)] {
            XCTAssertThrowsError(try image.cropped(to: bad)) {
                XCTAssertEqual($0 as? ImagingError, .regionOutsideImage(region: bad, width: 13, height: 7))
            }
        }
    }

    func testResizeKeepsFlatColourAndSizes() throws {
        let flat = try Image(width: 37, height: 19, fill: RGB(10, 200, 30))
        for (w, h) in [(1, 1), (5, 3), (37, 19), (74, 38), (100, 7), (3, 100)] {
            let r = try flat.resized(width: w, height: h)
            XCTAssertEqual(r.width, w)
            XCTAssertEqual(r.height, h)
            XCTAssertEqual(Set(stride(from: 0, to: r.pixels.count, by: 3).map { RGB(r.pixels[$0], r.pixels[$0 + 1], r.pixels[$0 + 2]) }),
                           [RGB(10, 200, 30)], "\(w)x\(h)")
        }
        XCTAssertThrowsError(try flat.resized(width: 0, height: 3))
    }

    func testResizeInterpolatesAndDownscalesByAveraging() throws {
        // Left half black, right half white: a 2x shrink keeps the halves; a 4x1 -> 2x1 averages pairs.
        var img = try Image(width: 8, height: 2)
        img.fill(PixelRect(x: 4, y: 0, width: 4, height: 2), .white)
        let half = try img.resized(width: 4, height: 1)
        XCTAssertEqual(half.pixels, [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255])
        let two = try Image(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200])
        let up = try two.resized(width: 4, height: 1)
        // Centres at -0.25, 0.25, 0.75, 1.25 in source pixels: clamped, 1/4, 3/4, clamped.
        XCTAssertEqual(up.pixels, [0, 0, 0, 50, 50, 50, 150, 150, 150, 200, 200, 200])
    }

    func testDiffBoundingBox() throws {
        let a = try PNGTests.pattern(width: 31, height: 17)
        XCTAssertEqual(try a.difference(from: a), ImageDifference(changedPixels: 0, boundingBox: nil, totalPixels: 31 * 17))
        var b = a
        b.setPixel(x: 4, y: 3, to: RGB(1, 2, 3))
        b.setPixel(x: 30, y: 16, to: RGB(1, 2, 3))
        b.setPixel(x: 10, y: 9, to: RGB(1, 2, 3))
        let d = try a.difference(from: b)
        XCTAssertEqual(d.changedPixels, 3)
        XCTAssertEqual(d.boundingBox, PixelRect(x: 4, y: 3, width: 27, height: 14))
        // A small change under the threshold is not counted.
        var c = a
        let p = a.pixel(x: 0, y: 0)!
        c.setPixel(x: 0, y: 0, to: RGB(p.r &+ 1, p.g, p.b))
        XCTAssertEqual(try a.difference(from: c, threshold: 1).changedPixels, 0)
        XCTAssertEqual(try a.difference(from: c).boundingBox, PixelRect(x: 0, y: 0, width: 1, height: 1))
        XCTAssertThrowsError(try a.difference(from: try Image(width: 31, height: 16)))
    }

    func testCrosshairAndBoxDrawAndClip() throws {
        var img = try Image(width: 40, height: 30, fill: .white)
        img.drawCrosshair(x: 20, y: 15, size: 5, thickness: 1, color: .red)
        XCTAssertEqual(img.pixel(x: 20, y: 15), .red)
        XCTAssertEqual(img.pixel(x: 25, y: 15), .red)
        XCTAssertEqual(img.pixel(x: 20, y: 10), .red)
        XCTAssertEqual(img.pixel(x: 27, y: 15), .white)
        XCTAssertEqual(img.pixel(x: 26, y: 15), RGB(0, 255, 255)) // outline in the opposite colour
        XCTAssertEqual(img.pixel(x: 2, y: 2), .white)
        img.drawBox(PixelRect(x: 2, y: 3, width: 10, height: 6), thickness: 1, color: .green)
        XCTAssertEqual(img.pixel(x: 2, y: 3), .green)
        XCTAssertEqual(img.pixel(x: 11, y: 8), .green)
        XCTAssertEqual(img.pixel(x: 6, y: 5), .white)
        XCTAssertEqual(img.pixel(x: 12, y: 8), .white)
        // Marks at and beyond the edges are clipped, not errors.
        img.drawCrosshair(x: 0, y: 0)
        img.drawCrosshair(x: -50, y: 500)
        img.drawBox(PixelRect(x: 35, y: 25, width: 20, height: 20))
        XCTAssertEqual(img.pixel(x: 39, y: 25), .red)
        XCTAssertEqual(img.pixel(x: 35, y: 29), .red)
        XCTAssertEqual(img.width * img.height * 3, img.pixels.count)
    }

    func testPackedPixelConversion() throws {
        // 2x2 BGRX with 4 bytes of row padding, then the same as big-endian XRGB.
        let bgrx: [UInt8] = [1, 2, 3, 0, 4, 5, 6, 0, 9, 9, 9, 9,
                             7, 8, 9, 0, 10, 11, 12, 0, 9, 9, 9, 9]
        let a = try bgrx.withUnsafeBytes {
            try Image(packed: $0.baseAddress!, width: 2, height: 2, bytesPerRow: 12, format: .bgrx)
        }
        XCTAssertEqual(a.pixels, [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10])
        let xrgb: [UInt8] = [0, 3, 2, 1, 0, 6, 5, 4, 0, 9, 8, 7, 0, 12, 11, 10]
        let b = try xrgb.withUnsafeBytes {
            try Image(packed: $0.baseAddress!, width: 2, height: 2, bytesPerRow: 8,
                      format: .init(bytesPerPixel: 4, bigEndian: true, redMask: 0xff0000, greenMask: 0xff00, blueMask: 0xff))
        }
        XCTAssertEqual(b, a)
        let rgb24: [UInt8] = [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]
        let c = try rgb24.withUnsafeBytes {
            try Image(packed: $0.baseAddress!, width: 2, height: 2, bytesPerRow: 6,
                      format: .init(bytesPerPixel: 3, bigEndian: false, redMask: 0xff, greenMask: 0xff00, blueMask: 0xff0000))
        }
        XCTAssertEqual(c, a)
        XCTAssertThrowsError(try rgb24.withUnsafeBytes {
            try Image(packed: $0.baseAddress!, width: 2, height: 2, bytesPerRow: 6,
                      format: .init(bytesPerPixel: 2, bigEndian: false, redMask: 0xf800, greenMask: 0x7e0, blueMask: 0x1f))
        })
    }
}
