import Foundation
import XCTest
@testable import ModelFormats

final class NPYFileTests: XCTestCase {
    func testRoundTripAndHeaderAlignment() throws {
        let values: [Float] = [1, -2, 3.5, 4, 5, 6]
        let data = NPYFile.encode(shape: [2, 3], values: values)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(Array(data[0..<6]), [0x93] + Array("NUMPY".utf8))
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        let decoded = try NPYFile.decode(data)
        XCTAssertEqual(decoded.shape, [2, 3])
        XCTAssertEqual(decoded.values, values)
        XCTAssertEqual(try NPYFile.decode(NPYFile.encode(shape: [3], values: [1, 2, 3])).shape, [3])
    }

    func testMalformedFilesAreRefused() {
        XCTAssertThrowsError(try NPYFile.decode(Data("not numpy".utf8)))
        var data = NPYFile.encode(shape: [2], values: [1, 2])
        data.removeLast()
        XCTAssertThrowsError(try NPYFile.decode(data))
        // Regression: a shape whose element count fits Int but whose byte count does not used to trap.
        let hostile = NPYFile.encode(shape: [4_611_686_018_427_387_904], values: [])
        XCTAssertThrowsError(try NPYFile.decode(hostile))
    }
}
