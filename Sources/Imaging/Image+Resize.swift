extension Image {
    /// A bilinear resize (pixel centres aligned, as PIL and OpenCV do). When shrinking by more than
    /// 2x, the image is first box-averaged by whole factors so that no source pixel is skipped.
    public func resized(width newWidth: Int, height newHeight: Int) throws -> Image {
        try Image.checkSize(width: newWidth, height: newHeight, context: "resize target")
        if newWidth == width && newHeight == height { return self }
        let fx = width / newWidth, fy = height / newHeight
        if fx >= 2 || fy >= 2 {
            return try boxReduced(by: max(1, fx), max(1, fy)).resized(width: newWidth, height: newHeight)
        }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let sx = Double(width) / Double(newWidth), sy = Double(height) / Double(newHeight)
        // Per-column source indices and weights, computed once.
        var x0s = [Int](repeating: 0, count: newWidth), x1s = x0s
        var wxs = [Double](repeating: 0, count: newWidth)
        for x in 0..<newWidth {
            let src = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(width - 1))
            let x0 = Int(src)
            x0s[x] = x0; x1s[x] = min(x0 + 1, width - 1); wxs[x] = src - Double(x0)
        }
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for y in 0..<newHeight {
                    let src = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(height - 1))
                    let y0 = Int(src), y1 = min(y0 + 1, height - 1)
                    let wy = src - Double(y0)
                    let r0 = y0 * width * 3, r1 = y1 * width * 3
                    for x in 0..<newWidth {
                        let a = x0s[x] * 3, b = x1s[x] * 3, wx = wxs[x]
                        for c in 0..<3 {
                            let top = Double(s[r0 + a + c]) * (1 - wx) + Double(s[r0 + b + c]) * wx
                            let bottom = Double(s[r1 + a + c]) * (1 - wx) + Double(s[r1 + b + c]) * wx
                            let v = top * (1 - wy) + bottom * wy
                            d[(y * newWidth + x) * 3 + c] = UInt8(min(255, max(0, v.rounded())))
                        }
                    }
                }
            }
        }
        return Image(unchecked: newWidth, newHeight, out)
    }

    /// Averages fx-by-fy blocks (edges take the partial blocks they have).
    func boxReduced(by fx: Int, _ fy: Int) throws -> Image {
        let w = (width + fx - 1) / fx, h = (height + fy - 1) / fy
        var out = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for y in 0..<h {
                    for x in 0..<w {
                        var sum = (0, 0, 0), n = 0
                        for yy in (y * fy)..<min((y + 1) * fy, height) {
                            for xx in (x * fx)..<min((x + 1) * fx, width) {
                                let i = (yy * width + xx) * 3
                                sum.0 += Int(s[i]); sum.1 += Int(s[i + 1]); sum.2 += Int(s[i + 2])
                                n += 1
                            }
                        }
                        let o = (y * w + x) * 3
                        d[o] = UInt8((sum.0 + n / 2) / n)
                        d[o + 1] = UInt8((sum.1 + n / 2) / n)
                        d[o + 2] = UInt8((sum.2 + n / 2) / n)
                    }
                }
            }
        }
        return Image(unchecked: w, h, out)
    }
}
