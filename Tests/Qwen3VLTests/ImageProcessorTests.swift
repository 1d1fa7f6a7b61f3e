import XCTest
@testable import Qwen3VL

final class SmartResizeTests: XCTestCase {
    /// The worked examples of reference notes §2.2 (H×W in, H×W out), default budget 65536…16777216.
    func testWorkedExamples() throws {
        let cases: [(Int, Int, Int, Int)] = [
            (1080, 1920, 1088, 1920), (720, 1280, 704, 1280), (800, 1280, 800, 1280), (1440, 2560, 1440, 2560),
            (2160, 3840, 2176, 3840), (3120, 1440, 3136, 1440), (48, 48, 256, 256),
        ]
        for (h, w, rh, rw) in cases {
            let r = try SmartResize.size(height: h, width: w, budget: .qwen3VLDefault)
            XCTAssertEqual(r.height, rh, "\(h)×\(w)")
            XCTAssertEqual(r.width, rw, "\(h)×\(w)")
        }
        let practical = try PixelBudget(minPixels: 256 * 32 * 32, maxPixels: 1280 * 32 * 32)
        let r = try SmartResize.size(height: 1080, width: 1920, budget: practical)
        XCTAssertEqual(r.height, 832)
        XCTAssertEqual(r.width, 1504)
    }

    /// Python's round() sends halves to even: 720/32 = 22.5 → 22, 80/32 = 2.5 → 2, 208/32 = 6.5 → 6,
    /// 48/32 = 1.5 → 2, 1392/32 = 43.5 → 44. llama.cpp's std::round would give 736, 96, 224, 64, 1408.
    func testHalvesRoundToEven() throws {
        let wide = try PixelBudget(minPixels: 1, maxPixels: 1 << 30)
        for (side, expected) in [(720, 704), (80, 64), (208, 192), (48, 64), (1392, 1408)] {
            XCTAssertEqual(try SmartResize.size(height: side, width: 1024, budget: wide).height, expected, "\(side)")
        }
        // 80×208 with the fixture budget: both sides are ties, result inside the budget, no further scaling.
        let tiny = try PixelBudget(minPixels: 96 * 96, maxPixels: 160 * 160)
        let r = try SmartResize.size(height: 80, width: 208, budget: tiny)
        XCTAssertEqual([r.height, r.width], [64, 192])
    }

    func testBudgetScalesUpAndDown() throws {
        let tiny = try PixelBudget(minPixels: 96 * 96, maxPixels: 160 * 160)
        let up = try SmartResize.size(height: 50, width: 70, budget: tiny)
        XCTAssertEqual([up.height, up.width], [96, 128])
        let down = try SmartResize.size(height: 200, width: 300, budget: tiny)
        XCTAssertEqual([down.height, down.width], [128, 192])
        // A tiny side never falls below one 32-px block when shrinking.
        let thin = try SmartResize.size(height: 40, width: 4000, budget: tiny)
        XCTAssertEqual(thin.height, 32)
    }

    func testRejectsElongatedImagesAndBadBudgets() {
        XCTAssertThrowsError(try SmartResize.size(height: 10, width: 2010, budget: .qwen3VLDefault)) {
            XCTAssertEqual($0 as? Qwen3VLError, .imageTooElongated(width: 2010, height: 10))
        }
        XCTAssertThrowsError(try PixelBudget(minPixels: 0, maxPixels: 10))
        XCTAssertThrowsError(try PixelBudget(minPixels: 100, maxPixels: 99))
        XCTAssertThrowsError(try RGB8Buffer(width: 2, height: 2, bytes: [0, 1, 2]))
    }

    /// The fixture budget and images give the smart_resize sizes transformers computed.
    func testFixtureSizes() throws {
        for (name, e) in try VisionFixtures.imageIndex().images {
            let budget = try PixelBudget(minPixels: e.min_pixels, maxPixels: e.max_pixels)
            let r = try SmartResize.size(height: e.height, width: e.width, budget: budget)
            XCTAssertEqual([r.height, r.width], [e.resized_height, e.resized_width], name)
        }
    }
}

final class BicubicResizeTests: XCTestCase {
    /// Byte-identical to torch's uint8 antialiased bicubic (the Fast processor's resize) on every fixture image:
    /// up, down, rounding only, and ties.
    func testMatchesReferenceBytes() throws {
        for (name, e) in try VisionFixtures.imageIndex().images {
            let image = try VisionFixtures.image(name, e)
            let expected = try VisionFixtures.rgb(name + ".resized.rgb", width: e.resized_width, height: e.resized_height)
            let resized = BicubicResize.resize(image, width: e.resized_width, height: e.resized_height)
            XCTAssertEqual(resized.width, e.resized_width)
            XCTAssertEqual(resized.height, e.resized_height)
            let differing = zip(resized.bytes, expected.bytes).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(name): \(differing) bytes differ from the reference resize")
        }
    }

    func testSameSizeIsIdentity() throws {
        let bytes = (0..<(7 * 5 * 3)).map { UInt8(($0 * 37) % 256) }
        let image = try RGB8Buffer(width: 7, height: 5, bytes: bytes)
        XCTAssertEqual(BicubicResize.resize(image, width: 7, height: 5), image)
    }

    /// A constant image stays constant whatever the scale (weights sum to one).
    func testConstantImageStaysConstant() throws {
        let image = try RGB8Buffer(width: 37, height: 23, bytes: [UInt8](repeating: 200, count: 37 * 23 * 3))
        for (w, h) in [(64, 32), (10, 7), (37, 96), (3, 3)] {
            XCTAssertTrue(BicubicResize.resize(image, width: w, height: h).bytes.allSatisfy { $0 == 200 }, "\(w)×\(h)")
        }
    }
}

final class PatchifyTests: XCTestCase {
    /// Each pixel encodes its own position, so the order of rows and columns can be read back.
    func testMergeBlockOrder() throws {
        let w = 64, h = 32   // gw = 4, gh = 2: one row of two merge blocks
        var bytes = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { bytes[(y * w + x) * 3] = UInt8(x); bytes[(y * w + x) * 3 + 1] = UInt8(y) } }
        let image = try RGB8Buffer(width: w, height: h, bytes: bytes)
        let v = Patchify.pixelValues(image, patchSize: 16, mergeSize: 2, temporalPatchSize: 2,
                                     mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255])
        XCTAssertEqual(v.count, 8 * 1536)
        // Row order: block (0,0) = patches (0,0),(0,1),(1,0),(1,1); then block (0,1) = (0,2),(0,3),(1,2),(1,3).
        let expected = [(0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (0, 3), (1, 2), (1, 3)]
        for (n, (row, col)) in expected.enumerated() {
            for t in 0..<2 {
                for (py, px) in [(0, 0), (3, 5), (15, 15)] {
                    let x = v[n * 1536 + 0 * 512 + t * 256 + py * 16 + px]   // channel 0 = x
                    let y = v[n * 1536 + 1 * 512 + t * 256 + py * 16 + px]   // channel 1 = y
                    XCTAssertEqual(x, Float(col * 16 + px), accuracy: 1e-4, "row \(n) t \(t)")
                    XCTAssertEqual(y, Float(row * 16 + py), accuracy: 1e-4, "row \(n) t \(t)")
                }
            }
        }
    }

    /// The whole processor against transformers' pixel_values: fixed columns of every row and every row's sum.
    func testProcessorMatchesReferencePixelValues() throws {
        for (name, e) in try VisionFixtures.imageIndex().images {
            var config = PreprocessorConfiguration()
            config.budget = try PixelBudget(minPixels: e.min_pixels, maxPixels: e.max_pixels)
            let out = try ImageProcessor(configuration: config).process(try VisionFixtures.image(name, e))
            XCTAssertEqual([out.gridT, out.gridH, out.gridW], e.grid_thw, name)
            XCTAssertEqual(out.tokenCount, e.grid_thw[1] * e.grid_thw[2] / 4)
            XCTAssertEqual(out.pixelValues.count, out.patchCount * 1536)
            for (row, sample) in e.sample.enumerated() {
                for (k, col) in e.sample_columns.enumerated() {
                    // Exact: same bytes, same float32 (x − 127.5) / 127.5.
                    XCTAssertEqual(out.pixelValues[row * 1536 + col], sample[k], accuracy: 1e-6, "\(name) [\(row), \(col)]")
                }
                let sum = (0..<1536).reduce(0.0) { $0 + Double(out.pixelValues[row * 1536 + $1]) }
                XCTAssertEqual(sum, e.row_sums[row], accuracy: 1e-3, "\(name) row \(row)")
            }
        }
    }

    func testPreprocessorConfigurationFromModelDirectory() throws {
        let dir = try VisionFixtures.root.appendingPathComponent("tiny-vl-a").path
        let c = try PreprocessorConfiguration.load(directory: dir)
        XCTAssertEqual(c.budget, try PixelBudget(minPixels: 96 * 96, maxPixels: 160 * 160))
        XCTAssertEqual(c.patchSize, 16)
        XCTAssertEqual(c.imageMean, [0.5, 0.5, 0.5])
        // Absent file: the shipped Qwen3-VL values, not the Qwen2-VL class defaults.
        XCTAssertEqual(try PreprocessorConfiguration.load(directory: "/nonexistent").budget, .qwen3VLDefault)
        XCTAssertThrowsError(try PreprocessorConfiguration.decode(Data(#"{"image_std": [0.5, 0, 0.5]}"#.utf8)))
        XCTAssertThrowsError(try PreprocessorConfiguration.decode(Data(#"{"size": {"shortest_edge": 10, "longest_edge": 5}}"#.utf8)))
        // Each bad field is named; a repeated key is refused by StrictJSON rather than the last one winning.
        XCTAssertThrowsError(try PreprocessorConfiguration.decode(Data(#"{"size": {"shortest_edge": "big"}}"#.utf8))) {
            guard case .invalidConfiguration(_, "size.shortest_edge", _)? = $0 as? Qwen3VLError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try PreprocessorConfiguration.decode(Data(#"{"image_mean": [0.5, true, 0.5]}"#.utf8))) {
            guard case .invalidConfiguration(_, "image_mean", _)? = $0 as? Qwen3VLError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try PreprocessorConfiguration.decode(Data(#"{"patch_size": 16, "patch_size": 14}"#.utf8))) {
            guard case let .configurationUnreadable(_, reason)? = $0 as? Qwen3VLError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("duplicate member \"patch_size\""), reason)
        }
        let legacy = try PreprocessorConfiguration.decode(Data(#"{"min_pixels": 1024, "max_pixels": 4096}"#.utf8))
        XCTAssertEqual(legacy.budget, try PixelBudget(minPixels: 1024, maxPixels: 4096))
    }
}
