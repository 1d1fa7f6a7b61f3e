// Test helper: the committed vision fixtures (scripts/make-vision-fixtures.py).
import Foundation
import XCTest
@testable import Qwen3VL

enum VisionFixtures {
    /// `Fixtures/vision` inside the test bundle.
    static var root: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw FixtureMissing(what: "the Fixtures folder in the test bundle")
            }
            return url.appendingPathComponent("vision")
        }
    }

    struct ImageEntry: Decodable {
        var height: Int
        var width: Int
        var resized_height: Int
        var resized_width: Int
        var grid_thw: [Int]
        var min_pixels: Int
        var max_pixels: Int
        var sample_columns: [Int]
        var sample: [[Float]]
        var row_sums: [Double]
    }

    struct ImageIndex: Decodable { var images: [String: ImageEntry] }

    static func imageIndex() throws -> ImageIndex {
        let data = try Data(contentsOf: try root.appendingPathComponent("images/index.json"))
        return try JSONDecoder().decode(ImageIndex.self, from: data)
    }

    static func rgb(_ name: String, width: Int, height: Int) throws -> RGB8Buffer {
        let data = try Data(contentsOf: try root.appendingPathComponent("images/\(name)"))
        return try RGB8Buffer(width: width, height: height, bytes: [UInt8](data))
    }

    static func image(_ name: String, _ e: ImageEntry) throws -> RGB8Buffer {
        try rgb(name + ".rgb", width: e.width, height: e.height)
    }
}

/// A committed fixture that is missing is a failure, never a skip.
struct FixtureMissing: Error, CustomStringConvertible {
    let what: String
    var description: String { "fixture missing: \(what)" }
}
