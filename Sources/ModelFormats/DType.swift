// ModelFormats: element types and tensor descriptions shared by the readers.

/// Element types a safetensors header may name. Only F32/F16/BF16 can be read as float32; the others
/// are recognised so the error can say "unsupported" rather than "unknown".
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case u16 = "U16", u32 = "U32", u64 = "U64"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// Whether `readFloats` can widen this type to float32.
    public var isFloat32Readable: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// One tensor in a checkpoint file: where its bytes are and what they hold.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Absolute byte offset in the file and byte length (already checked against the file size).
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
}
