// Safetensors reading, including every malformed input the loader must refuse with a named error.
import Foundation
import XCTest
@testable import ModelFormats

/// Writes small safetensors files for the tests.
enum SafetensorsWriter {
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: [UInt8]
        var offsets: (Int, Int)? = nil   // override data_offsets to build broken files
    }

    static func encode(_ entries: [Entry], headerOverride: String? = nil) -> Data {
        var parts: [String] = []
        var data: [UInt8] = []
        for e in entries {
            let begin = data.count
            data += e.bytes
            let (b, end) = e.offsets ?? (begin, data.count)
            parts.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype)\",\"shape\":\(e.shape),\"data_offsets\":[\(b),\(end)]}")
        }
        var header = headerOverride ?? "{" + (["\"__metadata__\":{\"format\":\"pt\"}"] + parts).joined(separator: ",") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var out = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    static func f32(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    static func bf16(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { Array($0) } }
    }
}

final class SafetensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ data: Data, _ name: String = "model.safetensors") throws -> String {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func expectError(_ path: String, _ check: (ModelFormatsError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafetensorsFile(path: path)
            XCTFail("opened a malformed file", file: file, line: line)
        } catch let e as ModelFormatsError {
            XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
        } catch {
            XCTFail("wrong error type \(error)", file: file, line: line)
        }
    }

    func testReadsF32BF16AndF16() throws {
        let f16One: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]   // 1, -2
        let path = try write(SafetensorsWriter.encode([
            .init(name: "a", dtype: "F32", shape: [2, 2], bytes: SafetensorsWriter.f32([1, 2, 3, 4])),
            .init(name: "b", dtype: "BF16", shape: [3], bytes: SafetensorsWriter.bf16([1, -3, 0.5])),
            .init(name: "c", dtype: "F16", shape: [2], bytes: f16One),
        ]))
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(try file.floats("a"), [1, 2, 3, 4])
        XCTAssertEqual(try file.floats("b"), [1, -3, 0.5])
        XCTAssertEqual(try file.floats("c"), [1, -2])
        XCTAssertEqual(file.tensors["a"]?.shape, [2, 2])
        XCTAssertEqual(file.metadata["format"], "pt")
    }

    func testTruncatedFileNamesTheTensorThatRunsPastTheEnd() throws {
        var data = SafetensorsWriter.encode([.init(name: "w", dtype: "F32", shape: [4], bytes: SafetensorsWriter.f32([1, 2, 3, 4]))])
        data.removeLast(5)
        let path = try write(data)
        expectError(path) { if case .tensorOutOfBounds(name: "w", _, _, _) = $0 { return true }; return false }
    }

    func testTinyAndHeaderPastEndFiles() throws {
        expectError(try write(Data([1, 2, 3]), "tiny.safetensors")) { if case .fileTooSmall = $0 { return true }; return false }
        expectError(try write(Data(), "empty.safetensors")) { if case .fileTooSmall = $0 { return true }; return false }
        var huge = Data()
        var n = UInt64(1 << 40).littleEndian
        withUnsafeBytes(of: &n) { huge.append(contentsOf: $0) }
        huge.append(contentsOf: Array("{}".utf8))
        expectError(try write(huge, "huge.safetensors")) { if case .headerOutOfBounds = $0 { return true }; return false }
    }

    func testOffsetsPastTheEnd() throws {
        let path = try write(SafetensorsWriter.encode([
            .init(name: "w", dtype: "F32", shape: [2], bytes: SafetensorsWriter.f32([1, 2]), offsets: (1_000_000, 1_000_008)),
        ]))
        expectError(path) { if case let .tensorOutOfBounds(name, offset, length, _) = $0 { return name == "w" && length == 8 && offset > 1_000_000 }; return false }
    }

    func testOffsetsNearIntMaxAreAnErrorNotATrap() throws {
        // Regression: the error for offsets past the end added them to the data start and overflowed.
        let path = try write(SafetensorsWriter.encode([
            .init(name: "w", dtype: "F32", shape: [0], bytes: [], offsets: (Int.max, Int.max)),
        ]), "hostile.safetensors")
        expectError(path) { if case .tensorOutOfBounds(name: "w", _, _, _) = $0 { return true }; return false }
    }

    func testUnknownDTypeIsNamed() throws {
        let path = try write(SafetensorsWriter.encode([.init(name: "w", dtype: "F33", shape: [1], bytes: [0, 0, 0, 0])]))
        expectError(path) { $0 == .unknownDType(path: path, name: "w", dtype: "F33") }
    }

    func testKnownButUnreadableDTypeFailsOnRead() throws {
        let path = try write(SafetensorsWriter.encode([.init(name: "i", dtype: "I32", shape: [1], bytes: [1, 0, 0, 0])]))
        let file = try SafetensorsFile(path: path)
        XCTAssertThrowsError(try file.floats("i")) { XCTAssertEqual($0 as? ModelFormatsError, .unsupportedDType(name: "i", dtype: "I32")) }
    }

    func testShapeThatDoesNotMatchTheBytes() throws {
        let path = try write(SafetensorsWriter.encode([.init(name: "w", dtype: "F32", shape: [3], bytes: SafetensorsWriter.f32([1, 2]))]))
        expectError(path) { if case .tensorSizeMismatch(name: "w", shape: [3], dtype: "F32", byteCount: 8) = $0 { return true }; return false }
    }

    func testOverlappingTensorsAndBadOffsets() throws {
        let bytes = SafetensorsWriter.f32([1, 2, 3, 4])
        let overlap = try write(SafetensorsWriter.encode([
            .init(name: "a", dtype: "F32", shape: [2], bytes: bytes, offsets: (0, 8)),
            .init(name: "b", dtype: "F32", shape: [2], bytes: [], offsets: (4, 12)),
        ]), "overlap.safetensors")
        expectError(overlap) { if case .overlappingTensors = $0 { return true }; return false }
        let reversed = try write(SafetensorsWriter.encode([.init(name: "a", dtype: "F32", shape: [0], bytes: bytes, offsets: (8, 4))]), "rev.safetensors")
        expectError(reversed) { if case .malformedTensorEntry(_, "a", _) = $0 { return true }; return false }
    }

    func testHeaderThatIsNotJSON() throws {
        let path = try write(SafetensorsWriter.encode([], headerOverride: "{\"w\": {\"dtype\": NaN"))
        expectError(path) { if case .headerNotJSON = $0 { return true }; return false }
        let bools = try write(SafetensorsWriter.encode([], headerOverride: "{\"w\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}"), "b.safetensors")
        expectError(bools) { if case .malformedTensorEntry(_, "w", _) = $0 { return true }; return false }
    }

    /// A tensor named twice in one header is refused (StrictJSON rejects duplicate member names), not
    /// read as whichever entry came last; the error names the duplicate.
    func testDuplicateTensorNameInHeader() throws {
        let bytes = SafetensorsWriter.f32([1, 2])
        let path = try write(SafetensorsWriter.encode([
            .init(name: "w", dtype: "F32", shape: [1], bytes: bytes, offsets: (0, 4)),
            .init(name: "w", dtype: "F32", shape: [1], bytes: [], offsets: (4, 8)),
        ]))
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { error in
            guard case let .headerNotJSON(_, reason)? = error as? ModelFormatsError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("duplicate member \"w\""), reason)
        }
    }

    /// Offsets and dimensions must be written as integers that fit: no fraction, no exponent, no overflow.
    func testOffsetsAndShapeMustBeIntegersThatFit() throws {
        for (i, header) in [
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#,
            #"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
        ].enumerated() {
            var data = SafetensorsWriter.encode([], headerOverride: header)
            data.append(contentsOf: SafetensorsWriter.f32([1]))
            let path = try write(data, "int\(i).safetensors")
            expectError(path) { if case .malformedTensorEntry(_, "w", _) = $0 { return true }; return false }
        }
    }

    func testShardedCheckpointThroughIndex() throws {
        _ = try write(SafetensorsWriter.encode([.init(name: "a", dtype: "F32", shape: [1], bytes: SafetensorsWriter.f32([7]))]), "model-00001-of-00002.safetensors")
        _ = try write(SafetensorsWriter.encode([.init(name: "b", dtype: "BF16", shape: [2], bytes: SafetensorsWriter.bf16([1, 2]))]), "model-00002-of-00002.safetensors")
        let index = #"{"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#
        _ = try write(Data(index.utf8), "model.safetensors.index.json")
        let checkpoint = try SafetensorsCheckpoint(directory: directory.path)
        XCTAssertEqual(try checkpoint.floats("a"), [7])
        XCTAssertEqual(try checkpoint.floats("b"), [1, 2])
        XCTAssertEqual(checkpoint.filePaths.count, 2)
        try checkpoint.verify(declared: ["a": [1], "b": [2]])
    }

    func testShardIndexErrors() throws {
        _ = try write(SafetensorsWriter.encode([.init(name: "a", dtype: "F32", shape: [1], bytes: SafetensorsWriter.f32([7]))]), "s1.safetensors")
        _ = try write(Data(#"{"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}}"#.utf8), "model.safetensors.index.json")
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: directory.path)) {
            XCTAssertEqual($0 as? ModelFormatsError, .shardMissing(shard: "s2.safetensors", index: directory.path + "/model.safetensors.index.json"))
        }
        _ = try write(Data(#"{"weight_map": {"a": "s1.safetensors", "z": "s1.safetensors"}}"#.utf8), "model.safetensors.index.json")
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: directory.path)) {
            XCTAssertEqual($0 as? ModelFormatsError, .tensorNotInShard(name: "z", shard: "s1.safetensors"))
        }
        _ = try write(Data(#"{"weight_map": {"a": "s1.safetensors", "a": "s2.safetensors"}}"#.utf8), "model.safetensors.index.json")
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: directory.path)) {
            guard case let .indexMalformed(_, reason)? = $0 as? ModelFormatsError else { return XCTFail("\($0)") }
            XCTAssertTrue(reason.contains("duplicate member \"a\""), reason)
        }
        _ = try write(Data(#"{"weight_map": {"a": "../etc/passwd"}}"#.utf8), "model.safetensors.index.json")
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: directory.path)) {
            guard case .indexMalformed = $0 as? ModelFormatsError else { return XCTFail("\($0)") }
        }
    }

    func testStrictVerificationNamesTheTensor() throws {
        _ = try write(SafetensorsWriter.encode([
            .init(name: "a", dtype: "F32", shape: [2], bytes: SafetensorsWriter.f32([1, 2])),
            .init(name: "visual.x", dtype: "F32", shape: [1], bytes: SafetensorsWriter.f32([1])),
        ]))
        let checkpoint = try SafetensorsCheckpoint(directory: directory.path)
        XCTAssertThrowsError(try checkpoint.verify(declared: ["a": [2], "b": [1]], deferredPrefixes: ["visual."])) {
            XCTAssertEqual($0 as? ModelFormatsError, .missingTensor(name: "b"))
        }
        XCTAssertThrowsError(try checkpoint.verify(declared: ["a": [1, 2]], deferredPrefixes: ["visual."])) {
            XCTAssertEqual($0 as? ModelFormatsError, .tensorShapeMismatch(name: "a", expected: [1, 2], actual: [2]))
        }
        XCTAssertThrowsError(try checkpoint.verify(declared: ["a": [2]])) {
            XCTAssertEqual($0 as? ModelFormatsError, .unexpectedTensor(name: "visual.x"))
        }
        try checkpoint.verify(declared: ["a": [2]], deferredPrefixes: ["visual."])
    }

    func testEmptyDirectoryHasNoCheckpoint() {
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: directory.path)) {
            XCTAssertEqual($0 as? ModelFormatsError, .noCheckpoint(directory: directory.path))
        }
    }
}
