/// Marks drawn on screenshots for reports and approval prompts. Parts that fall outside the image
/// are clipped, so a mark near an edge never fails.
extension Image {
    /// A crosshair centred on (x, y): two lines `size` pixels from the centre each way, `thickness`
    /// wide, with a one-pixel contrasting outline so it shows on any background.
    public mutating func drawCrosshair(x: Int, y: Int, size: Int = 12, thickness: Int = 2, color: RGB = .magenta) {
        let half = max(0, thickness - 1) / 2
        let outline = RGB(255 &- color.r, 255 &- color.g, 255 &- color.b)
        // Outline first, then the cross on top.
        fill(PixelRect(x: x - size - 1, y: y - half - 1, width: 2 * size + 3, height: thickness + 2), outline)
        fill(PixelRect(x: x - half - 1, y: y - size - 1, width: thickness + 2, height: 2 * size + 3), outline)
        fill(PixelRect(x: x - size, y: y - half, width: 2 * size + 1, height: thickness), color)
        fill(PixelRect(x: x - half, y: y - size, width: thickness, height: 2 * size + 1), color)
    }

    /// The outline of `rect`, `thickness` pixels wide, drawn inside the rectangle.
    public mutating func drawBox(_ rect: PixelRect, thickness: Int = 2, color: RGB = .red) {
        guard !rect.isEmpty, thickness > 0 else { return }
        let t = min(thickness, rect.width, rect.height)
        fill(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color)
        fill(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color)
        fill(PixelRect(x: rect.x, y: rect.y, width: t, height: rect.height), color)
        fill(PixelRect(x: rect.maxX - t, y: rect.y, width: t, height: rect.height), color)
    }

    /// Fills `rect` (clipped to the image) with one colour.
    public mutating func fill(_ rect: PixelRect, _ color: RGB) {
        guard let r = rect.intersection(bounds) else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in r.y..<r.maxY {
                var i = (y * w + r.x) * 3
                for _ in 0..<r.width {
                    p[i] = color.r; p[i + 1] = color.g; p[i + 2] = color.b
                    i += 3
                }
            }
        }
    }
}
