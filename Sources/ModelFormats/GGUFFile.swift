// ModelFormats: a GGUF file (llama.cpp), memory-mapped and parsed with every count and offset checked.
// Format: ggml `docs/gguf.md` and `gguf-py/gguf/constants.py` (GGUF v2/v3; type ids below from GGMLQuantizationType).
// Reading only: metadata, tensor directory, and F32/F16/BF16 tensors as float32. Running a GGUF model
// (name mapping, quantized kernels) is a later issue.

import Tensors

/// A memory-mapped GGUF file.
///
/// ```
/// "GGUF" | u32 version (2, 3) | u64 tensor_count | u64 kv_count
/// kv_count × { string key | u32 value_type | value }          string = u64 length + UTF-8 bytes
///     value_type: 0 u8 1 i8 2 u16 3 i16 4 u32 5 i32 6 f32 7 bool 8 string 9 array(u32 type, u64 n, n values)
///                 10 u64 11 i64 12 f64
/// tensor_count × { string name | u32 n_dims | n_dims × u64 ne (fastest first) | u32 ggml_type | u64 offset }
/// padding to `general.alignment` (default 32) | tensor data; each offset is relative to the data start
/// ```
/// `ne` lists the fastest dimension first, so a PyTorch `[out, in]` matrix appears as `ne = [in, out]`;
/// `TensorInfo.shape` is reported in PyTorch order (reversed).
public final class GGUFFile {
    /// A metadata value.
    public indirect enum Value: Equatable, Sendable {
        case uint(UInt64), int(Int64), float(Double), bool(Bool), string(String), array([Value])
    }

    /// ggml tensor types this reader knows by name (F32/F16/BF16 readable, the rest listed as unsupported).
    static let typeNames: [UInt32: (name: String, blockElements: Int, blockBytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
        7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
        12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 30: ("BF16", 1, 2),
    ]

    /// Limits that a real file never approaches; beyond them the file is corrupt or hostile.
    static let maximumCount: UInt64 = 1 << 20
    static let maximumStringLength: UInt64 = 1 << 26
    /// Real arrays are vocabularies and merge lists (about 152k entries for Qwen); 16M elements of
    /// metadata would already cost gigabytes as values.
    static let maximumArrayLength: UInt64 = 1 << 24

    public let path: String
    public let version: UInt32
    public let metadata: [String: Value]
    /// Tensors by name; `dtype` is set for F32/F16/BF16, `ggmlType` holds the raw type for all.
    public let tensors: [String: GGUFTensor]
    private let file: MappedFile

    public init(path: String) throws {
        file = try MappedFile(path: path)
        self.path = path
        guard let base = file.base, file.size >= 24 else {
            throw ModelFormatsError.fileTooSmall(path: path, size: file.size, minimum: 24)
        }
        var r = Reader(base: base, size: file.size, path: path)
        guard try r.bytes(4) == Array("GGUF".utf8) else { throw r.fail("missing the GGUF magic") }
        version = try r.u32()
        guard version == 2 || version == 3 else { throw r.fail("GGUF version \(version) is not supported (2 or 3)") }
        let tensorCount = try r.u64(), kvCount = try r.u64()
        guard tensorCount <= Self.maximumCount, kvCount <= Self.maximumCount else {
            throw r.fail("implausible counts: \(tensorCount) tensors, \(kvCount) metadata entries")
        }
        var metadata: [String: Value] = [:]
        for _ in 0..<kvCount {
            let key = try r.string()
            metadata[key] = try r.value(type: try r.u32(), depth: 0)
        }
        var pending: [(name: String, ne: [Int], type: UInt32, offset: UInt64)] = []
        for _ in 0..<tensorCount {
            let name = try r.string()
            let dims = try r.u32()
            guard dims >= 1 && dims <= 4 else { throw r.fail("tensor '\(name)' has \(dims) dimensions") }
            var ne: [Int] = []
            for _ in 0..<dims {
                let d = try r.u64()
                guard d <= UInt64(Int32.max) else { throw r.fail("tensor '\(name)' dimension \(d) is implausible") }
                ne.append(Int(d))
            }
            pending.append((name, ne, try r.u32(), try r.u64()))
        }
        var alignment = 32
        if case let .uint(a)? = metadata["general.alignment"] {
            guard a > 0, a <= 1 << 16, a & (a - 1) == 0 else { throw r.fail("general.alignment \(a) is not a power of two") }
            alignment = Int(a)
        }
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        guard dataStart <= file.size else { throw r.fail("tensor data would start past the end of the file") }

        var tensors: [String: GGUFTensor] = [:]
        for t in pending {
            guard let type = Self.typeNames[t.type] else {
                throw ModelFormatsError.unknownDType(path: path, name: t.name, dtype: "ggml type \(t.type)")
            }
            var elements = 1, overflow = false
            for d in t.ne {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                elements = p
                overflow = overflow || o
            }
            let (bytes, o2) = (elements / type.blockElements).multipliedReportingOverflow(by: type.blockBytes)
            guard !overflow, !o2, elements % type.blockElements == 0 else {
                throw ModelFormatsError.tensorSizeMismatch(name: t.name, shape: t.ne.reversed(), dtype: type.name, byteCount: 0)
            }
            guard t.offset <= UInt64(file.size), UInt64(dataStart) + t.offset + UInt64(bytes) <= UInt64(file.size) else {
                throw ModelFormatsError.tensorOutOfBounds(name: t.name, offset: dataStart + Int(min(t.offset, UInt64(file.size))),
                                                          length: bytes, fileSize: file.size)
            }
            guard tensors[t.name] == nil else { throw ModelFormatsError.duplicateTensor(name: t.name, files: [path]) }
            let dtype: DType? = t.type == 0 ? .f32 : t.type == 1 ? .f16 : t.type == 30 ? .bf16 : nil
            tensors[t.name] = GGUFTensor(
                info: TensorInfo(name: t.name, dtype: dtype ?? .u8, shape: Array(t.ne.reversed()),
                                 offset: dataStart + Int(t.offset), byteCount: bytes),
                ggmlType: t.type, typeName: type.name, isFloat: dtype != nil)
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    /// Tensor `name` as float32 (F32, F16, BF16 only).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = tensors[name] else { throw ModelFormatsError.missingTensor(name: name) }
        guard t.isFloat, let base = file.base else { throw ModelFormatsError.unsupportedDType(name: name, dtype: t.typeName) }
        var out = [Float](repeating: 0, count: t.info.elementCount)
        out.withUnsafeMutableBufferPointer { p in
            guard let dst = p.baseAddress else { return }
            let src = base + t.info.offset
            switch t.info.dtype {
            case .f32: Float16Conversion.copyF32(src, count: p.count, into: dst)
            case .f16: Float16Conversion.convertF16(src, count: p.count, into: dst)
            default: Float16Conversion.convertBF16(src, count: p.count, into: dst)
            }
        }
        return out
    }

    /// Bounds-checked little-endian reads over the mapping.
    struct Reader {
        let base: UnsafeRawPointer
        let size: Int
        let path: String
        var offset = 0

        func fail(_ reason: String) -> ModelFormatsError { .malformedTensorEntry(path: path, name: "(header)", reason: "\(reason) at byte \(offset)") }

        mutating func need(_ n: Int) throws {
            guard n >= 0, n <= size - offset else { throw ModelFormatsError.headerOutOfBounds(path: path, headerLength: UInt64(offset + max(n, 0)), fileSize: size) }
        }
        mutating func bytes(_ n: Int) throws -> [UInt8] {
            try need(n)
            defer { offset += n }
            return Array(UnsafeRawBufferPointer(start: base + offset, count: n))
        }
        mutating func load<T: FixedWidthInteger>(_: T.Type) throws -> T {
            try need(MemoryLayout<T>.size)
            defer { offset += MemoryLayout<T>.size }
            return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        mutating func u32() throws -> UInt32 { try load(UInt32.self) }
        mutating func u64() throws -> UInt64 { try load(UInt64.self) }
        mutating func string() throws -> String {
            let n = try u64()
            guard n <= GGUFFile.maximumStringLength else { throw fail("string of \(n) bytes") }
            return String(decoding: try bytes(Int(n)), as: UTF8.self)
        }
        mutating func value(type: UInt32, depth: Int) throws -> Value {
            switch type {
            case 0: return .uint(UInt64(try load(UInt8.self)))
            case 1: return .int(Int64(try load(Int8.self)))
            case 2: return .uint(UInt64(try load(UInt16.self)))
            case 3: return .int(Int64(try load(Int16.self)))
            case 4: return .uint(UInt64(try load(UInt32.self)))
            case 5: return .int(Int64(try load(Int32.self)))
            case 6: return .float(Double(Float(bitPattern: try load(UInt32.self))))
            case 7: return .bool(try load(UInt8.self) != 0)
            case 8: return .string(try string())
            case 9:
                guard depth < 2 else { throw fail("arrays nested too deeply") }
                let elementType = try u32()
                let n = try u64()
                // Every element takes at least its smallest encoding, so a count the remaining bytes
                // cannot hold is a lie; beyond the cap the file is hostile even if the bytes exist.
                let smallest: UInt64
                switch elementType {
                case 0, 1, 7: smallest = 1
                case 2, 3: smallest = 2
                case 4, 5, 6: smallest = 4
                case 9: smallest = 12  // element type + count
                default: smallest = 8  // 64-bit values; a string's length prefix
                }
                guard n <= GGUFFile.maximumArrayLength else { throw fail("array of \(n) elements (at most \(GGUFFile.maximumArrayLength))") }
                guard n <= UInt64(size - offset) / smallest else { throw fail("array of \(n) elements in \(size - offset) bytes") }
                var items: [Value] = []
                items.reserveCapacity(Int(min(n, 1 << 16)))
                for _ in 0..<n { items.append(try value(type: elementType, depth: depth + 1)) }
                return .array(items)
            case 10: return .uint(try load(UInt64.self))
            case 11: return .int(try load(Int64.self))
            case 12: return .float(Double(bitPattern: try load(UInt64.self)))
            default: throw fail("unknown metadata value type \(type)")
            }
        }
    }
}

/// One tensor of a GGUF file.
public struct GGUFTensor: Equatable, Sendable {
    /// Shape in PyTorch order (`[out, in]`), absolute offset and byte length.
    public let info: TensorInfo
    public let ggmlType: UInt32
    public let typeName: String
    /// Whether `GGUFFile.floats` can read it (F32, F16, BF16).
    public let isFloat: Bool
}
