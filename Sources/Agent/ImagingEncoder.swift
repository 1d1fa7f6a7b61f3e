// `FrameEncoder` over `Imaging`: PNG through libpng, resizing for the model's pixel budget, and the
// marks on approval screenshots (a box around the target window, a crosshair on the target point).

import Desktop
import Imaging

public struct ImagingEncoder: FrameEncoder {
    /// zlib level for screenshots: fast, since every step writes one.
    public var compressionLevel: Int

    public init(compressionLevel: Int = 1) { self.compressionLevel = compressionLevel }

    public func png(_ frame: Frame) throws -> [UInt8] {
        try image(frame).pngData(level: compressionLevel)
    }

    public func resized(_ frame: Frame, width: Int, height: Int) throws -> Frame {
        let small = try image(frame).resized(width: width, height: height)
        return Frame(width: small.width, height: small.height, rgb: small.pixels)
    }

    public func annotated(_ frame: Frame, target: (x: Int, y: Int)?, window: WindowInfo?) throws -> Frame {
        var marked = try image(frame)
        if let window {
            marked.drawBox(window.frame, thickness: 3, color: .red)
        }
        if let target { marked.drawCrosshair(x: target.x, y: target.y, size: 20, thickness: 3, color: .magenta) }
        return Frame(width: marked.width, height: marked.height, rgb: marked.pixels)
    }

    func image(_ frame: Frame) throws -> Image {
        try Image(width: frame.width, height: frame.height, pixels: frame.rgb)
    }
}
