// ModelFormats: one .safetensors file, memory-mapped and checked before any tensor is read.
// Format: https://github.com/huggingface/safetensors (README "Format"); checks follow the Rust crate's
// `validate` (header bounds, offsets inside the buffer, size = product(shape) · dtype size).
import Foundation
import StrictJSON
import Tensors

/// A memory-mapped safetensors file.
///
/// ```
/// offset 0        8                      8+N                                   fileSize
///        ┌────────┬──────────────────────┬─────────────────────────────────────┐
///        │ N: u64 │ header: N bytes JSON │ data: tensors at data_offsets [b,e) │
///        │  (LE)  │ {"name": {dtype,     │ relative to byte 8+N, row-major,    │
///        │        │  shape, data_offsets}│ little-endian                       │
///        │        │  "__metadata__": {}} │                                     │
///        └────────┴──────────────────────┴─────────────────────────────────────┘
/// ```
/// Every entry is validated on open: known dtype, non-negative integer shape, `b ≤ e ≤ data size`,
/// `e − b == product(shape) · dtype size` (overflow-checked), no two tensors' bytes overlapping.
public final class SafetensorsFile {
    /// Headers above this are refused: real ones are a few hundred KiB; this stops a hostile length
    /// from making us allocate gigabytes for "JSON".
    public static let maximumHeaderLength: UInt64 = 100 << 20

    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let file: MappedFile

    public var fileSize: Int { file.size }

    public init(path: String) throws {
        file = try MappedFile(path: path)
        self.path = path
        guard file.size >= 8, let base = file.base else {
            throw ModelFormatsError.fileTooSmall(path: path, size: file.size, minimum: 8)
        }
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(file.size - 8), headerLength <= Self.maximumHeaderLength else {
            throw ModelFormatsError.headerOutOfBounds(path: path, headerLength: headerLength, fileSize: file.size)
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.size - dataStart
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        // StrictJSON rejects duplicate member names, so a tensor cannot be declared twice (the second
        // entry silently replacing the first); the error names the duplicate and its byte in the header.
        let root: [JSONMember]
        do {
            guard case let .object(object) = try JSONValue.parse(headerData) else {
                throw ModelFormatsError.headerNotJSON(path: path, reason: "the header is not a JSON object")
            }
            root = object
        } catch let error as JSONParseError {
            throw ModelFormatsError.headerNotJSON(path: path, reason: "\(error.message) at byte \(error.offset) of the header")
        }

        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                if case let .object(m) = value {
                    for (k, v) in m { if case let .string(s) = v { metadata[k] = s } }
                }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, path: path,
                                                dataStart: dataStart, dataSize: dataSize, fileSize: file.size)
        }
        // Overlap check: sorted by start, each tensor must end before the next begins.
        let sorted = tensors.values.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw ModelFormatsError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func parseEntry(name: String, value: JSONValue, path: String,
                                   dataStart: Int, dataSize: Int, fileSize: Int) throws -> TensorInfo {
        func bad(_ reason: String) -> ModelFormatsError {
            .malformedTensorEntry(path: path, name: name, reason: reason)
        }
        guard case .object = value else { throw bad("entry is not a JSON object") }
        guard case let .string(dtypeName)? = value["dtype"] else { throw bad("missing or non-string 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw ModelFormatsError.unknownDType(path: path, name: name, dtype: dtypeName)
        }
        guard case let .array(shapeValues)? = value["shape"] else { throw bad("missing or non-array 'shape'") }
        // `intValue`: written as an integer (no fraction or exponent) that fits Int, as the Rust crate's
        // usize fields require.
        var shape: [Int] = []
        for v in shapeValues {
            guard let d = v.intValue, d >= 0 else { throw bad("shape has a non-integer or negative dimension (\(v.serialized))") }
            shape.append(d)
        }
        guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw bad("'data_offsets' must be two integers")
        }
        guard begin >= 0, end >= begin else { throw bad("data_offsets [\(begin), \(end)] are not an increasing pair") }
        guard end <= dataSize else {
            // A hostile header can put both offsets near Int.max: the reported offset must not overflow.
            let (offset, overflow) = dataStart.addingReportingOverflow(begin)
            throw ModelFormatsError.tensorOutOfBounds(name: name, offset: overflow ? begin : offset, length: end - begin,
                                                      fileSize: fileSize)
        }
        var elements = 1
        for d in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw bad("shape \(shape) overflows") }
            elements = p
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes == end - begin else {
            throw ModelFormatsError.tensorSizeMismatch(name: name, shape: shape, dtype: dtype.rawValue,
                                                       byteCount: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, offset: dataStart + begin, byteCount: end - begin)
    }

    /// Widens tensor `name` to float32 into `destination`, which holds `info.elementCount` floats.
    public func readFloats(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let info = tensors[name] else { throw ModelFormatsError.missingTensor(name: name) }
        try readFloats(info, into: destination)
    }

    func readFloats(_ info: TensorInfo, into destination: UnsafeMutablePointer<Float>) throws {
        guard let base = file.base else { throw ModelFormatsError.missingTensor(name: info.name) }
        // Bounds were checked on open; re-assert here so no caller can read outside the mapping.
        guard info.offset >= 0, info.offset + info.byteCount <= file.size else {
            throw ModelFormatsError.tensorOutOfBounds(name: info.name, offset: info.offset, length: info.byteCount,
                                                      fileSize: file.size)
        }
        let source = base + info.offset
        switch info.dtype {
        case .f32: Float16Conversion.copyF32(source, count: info.elementCount, into: destination)
        case .bf16: Float16Conversion.convertBF16(source, count: info.elementCount, into: destination)
        case .f16: Float16Conversion.convertF16(source, count: info.elementCount, into: destination)
        default: throw ModelFormatsError.unsupportedDType(name: info.name, dtype: info.dtype.rawValue)
        }
    }

    /// Where tensor `info`'s bytes sit in the mapping (bounds checked), for callers that read them in place.
    /// Valid while this file object lives.
    func bytes(_ info: TensorInfo) throws -> UnsafeRawPointer {
        guard let base = file.base, info.offset >= 0, info.offset + info.byteCount <= file.size else {
            throw ModelFormatsError.tensorOutOfBounds(name: info.name, offset: info.offset, length: info.byteCount,
                                                      fileSize: file.size)
        }
        return base + info.offset
    }

    /// Tensor `name` as a float32 array (tests, small tensors).
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensors[name] else { throw ModelFormatsError.missingTensor(name: name) }
        var out = [Float](repeating: 0, count: info.elementCount)
        try out.withUnsafeMutableBufferPointer { buffer in
            if let p = buffer.baseAddress { try readFloats(info, into: p) }
        }
        return out
    }

    /// Lets the kernel drop the mapped pages (after the weights have been copied out).
    public func dropPages() { file.dropPages() }
}
