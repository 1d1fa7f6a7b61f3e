// Qwen3VL: the processor's input from an `Imaging.Image` (PNG decode drops alpha, as HF's convert("RGB") does).
import Imaging

extension RGB8Buffer {
    /// The same pixels (both are packed RGB8, rows top first).
    public init(_ image: Image) throws {
        try self.init(width: image.width, height: image.height, bytes: image.pixels)
    }
}
