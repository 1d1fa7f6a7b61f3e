// GGUF reading, including malformed files (truncated, bad magic, lying counts, offsets past the end).
import Foundation
import XCTest
@testable import ModelFormats

/// Builds small GGUF v3 files byte by byte.
struct GGUFBuilder {
    var data = Data()

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); data.append(contentsOf: Array(s.utf8)) }

    /// A file with metadata {general.architecture: "qwen3vl", qwen3vl.block_count: 2 (u32),
    /// qwen3vl.rope.dimension_sections: [24, 20, 20, 0] (i32 array)} and tensors
    /// `token_embd.weight` F32 ne [3, 2] and `output_norm.weight` BF16 ne [4].
    static func sample(tensorCount: UInt64 = 2, truncateBy: Int = 0, embedOffset: UInt64 = 0) -> Data {
        var b = GGUFBuilder()
        b.data.append(contentsOf: Array("GGUF".utf8))
        b.u32(3); b.u64(tensorCount); b.u64(3)
        b.string("general.architecture"); b.u32(8); b.string("qwen3vl")
        b.string("qwen3vl.block_count"); b.u32(4); b.u32(2)
        b.string("qwen3vl.rope.dimension_sections"); b.u32(9); b.u32(5); b.u64(4)
        for v: Int32 in [24, 20, 20, 0] { b.u32(UInt32(bitPattern: v)) }
        b.string("token_embd.weight"); b.u32(2); b.u64(3); b.u64(2); b.u32(0); b.u64(embedOffset)
        b.string("output_norm.weight"); b.u32(1); b.u64(4); b.u32(30); b.u64(32)
        while b.data.count % 32 != 0 { b.data.append(0) }
        for v: Float in [1, 2, 3, 4, 5, 6] { b.u32(v.bitPattern) }
        while b.data.count % 32 != 0 { b.data.append(0) }
        for v: Float in [1, -2, 0.5, 4] { withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { b.data.append(contentsOf: $0) } }
        b.data.removeLast(truncateBy)
        return b.data
    }
}

final class GGUFFileTests: XCTestCase {
    func write(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-\(UUID().uuidString).gguf")
        try data.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testReadsMetadataAndFloatTensors() throws {
        let file = try GGUFFile(path: try write(GGUFBuilder.sample()))
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata["general.architecture"], .string("qwen3vl"))
        XCTAssertEqual(file.metadata["qwen3vl.block_count"], .uint(2))
        XCTAssertEqual(file.metadata["qwen3vl.rope.dimension_sections"], .array([.int(24), .int(20), .int(20), .int(0)]))
        XCTAssertEqual(file.tensors["token_embd.weight"]?.info.shape, [2, 3], "ne [3, 2] is PyTorch [2, 3]")
        XCTAssertEqual(try file.floats("token_embd.weight"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try file.floats("output_norm.weight"), [1, -2, 0.5, 4])
    }

    func testMalformedFilesAreRefusedWithNamedErrors() throws {
        XCTAssertThrowsError(try GGUFFile(path: try write(Data("GGUF".utf8)))) {
            guard case .fileTooSmall? = $0 as? ModelFormatsError else { return XCTFail("\($0)") }
        }
        var notGGUF = GGUFBuilder.sample()
        notGGUF[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try GGUFFile(path: try write(notGGUF)))
        XCTAssertThrowsError(try GGUFFile(path: try write(GGUFBuilder.sample(truncateBy: 3)))) {
            XCTAssertEqual(($0 as? ModelFormatsError).map { if case .tensorOutOfBounds(name: "output_norm.weight", _, _, _) = $0 { return true }; return false }, true, "\($0)")
        }
        XCTAssertThrowsError(try GGUFFile(path: try write(GGUFBuilder.sample(embedOffset: 1 << 40)))) {
            XCTAssertEqual(($0 as? ModelFormatsError).map { if case .tensorOutOfBounds(name: "token_embd.weight", _, _, _) = $0 { return true }; return false }, true, "\($0)")
        }
        // A tensor count the file cannot hold: parsing runs out of bytes instead of allocating.
        XCTAssertThrowsError(try GGUFFile(path: try write(GGUFBuilder.sample(tensorCount: 1000))))
        XCTAssertThrowsError(try GGUFFile(path: try write(GGUFBuilder.sample(tensorCount: 1 << 40))))
        // Cut inside the metadata.
        XCTAssertThrowsError(try GGUFFile(path: try write(GGUFBuilder.sample().prefix(60)))) {
            guard case .headerOutOfBounds? = $0 as? ModelFormatsError else { return XCTFail("\($0)") }
        }
    }

    /// Array counts: one beyond what the remaining bytes can hold (u64 elements need 8 bytes each),
    /// and one whose bytes exist but exceed the element cap, are refused before anything is allocated.
    func testArrayCountsAreBoundedByBytesAndByTheCap() throws {
        func file(elementType: UInt32, count: UInt64, payload: Int) -> Data {
            var b = GGUFBuilder()
            b.data.append(contentsOf: Array("GGUF".utf8))
            b.u32(3); b.u64(0); b.u64(1)
            b.string("tokenizer.ggml.scores"); b.u32(9); b.u32(elementType); b.u64(count)
            b.data.append(Data(count: payload))
            while b.data.count % 32 != 0 { b.data.append(0) }  // the (empty) tensor data starts aligned
            return b.data
        }
        func arrayError(_ data: Data) throws -> String {
            var message = ""
            XCTAssertThrowsError(try GGUFFile(path: try write(data))) { message = "\($0)" }
            return message
        }
        // 100 u64 elements claimed, about 400 bytes present: the bytes cannot hold them.
        XCTAssertTrue(try arrayError(file(elementType: 10, count: 100, payload: 400)).contains("array of 100 elements in 4"), "the 400 bytes (plus alignment padding) hold only 50")
        // 2^24 + 1 u8 elements, every byte present: over the cap.
        let n = GGUFFile.maximumArrayLength + 1
        XCTAssertTrue(try arrayError(file(elementType: 0, count: n, payload: Int(n))).contains("at most \(GGUFFile.maximumArrayLength)"))
        // Within both limits it reads.
        let ok = try GGUFFile(path: try write(file(elementType: 10, count: 50, payload: 400)))
        XCTAssertEqual(ok.metadata["tokenizer.ggml.scores"], .array(Array(repeating: .uint(0), count: 50)))
    }
}
