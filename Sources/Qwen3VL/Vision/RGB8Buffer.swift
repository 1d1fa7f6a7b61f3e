// Qwen3VL: the plain image the image processor reads.

/// An 8-bit RGB image, rows top to bottom, 3 interleaved bytes per pixel (`bytes.count == width·height·3`).
///
/// The processor works on this rather than on `Imaging.Image` so that it states exactly what it needs:
/// gamma-encoded sRGB bytes, no alpha (reference notes §2.3 step 1: HF drops alpha; callers flatten first).
public struct RGB8Buffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let bytes: [UInt8]

    /// Checks that `bytes` holds exactly `width·height` RGB pixels.
    public init(width: Int, height: Int, bytes: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw Qwen3VLError.invalidImage(reason: "size \(width)×\(height) is empty")
        }
        guard width <= 1 << 15, height <= 1 << 15 else {
            throw Qwen3VLError.invalidImage(reason: "size \(width)×\(height) exceeds 32768 pixels on a side")
        }
        guard bytes.count == width * height * 3 else {
            throw Qwen3VLError.invalidImage(
                reason: "\(bytes.count) bytes for a \(width)×\(height) RGB image (expected \(width * height * 3))")
        }
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// For code that has already checked the sizes (the resizer).
    init(unchecked width: Int, _ height: Int, _ bytes: [UInt8]) {
        self.width = width
        self.height = height
        self.bytes = bytes
    }
}
