// Qwen3VL: a grounding answer (points and boxes on the 0–1000 grid) and its mapping to image pixels.
// Format: QwenLM/Qwen3-VL `cookbooks/2d_grounding.ipynb` (reference notes §6.1, §6.2).

/// A point on Qwen3-VL's relative grid: x right, y down, 0…1000 across the whole image whatever its size.
public struct GridPoint: Equatable, Sendable {
    public var x: Double
    public var y: Double
}

/// `bbox_2d = [x1, y1, x2, y2]`: top-left and bottom-right on the grid.
public struct GridBox: Equatable, Sendable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double
}

/// One element of a grounding answer: a point, a box or both, with the model's label if it gave one.
public struct Grounding: Equatable, Sendable {
    public var label: String?
    public var point: GridPoint?
    public var box: GridBox?

    /// The same grounding in pixels of an image of `width × height` (the original image, not the resized one:
    /// the grid is relative and the processor stretches rather than pads, so the resize does not matter).
    public func pixels(width: Int, height: Int) throws -> PixelGrounding {
        func px(_ g: Double, _ size: Int, _ what: String) throws -> Int {
            try Grounding.pixel(g, size: size, parameter: what)
        }
        return PixelGrounding(
            label: label,
            point: try point.map { [try px($0.x, width, "point_2d[0]"), try px($0.y, height, "point_2d[1]")] },
            box: try box.map { [try px($0.x1, width, "bbox_2d[0]"), try px($0.y1, height, "bbox_2d[1]"),
                                try px($0.x2, width, "bbox_2d[2]"), try px($0.y2, height, "bbox_2d[3]")] })
    }

    /// The grid-to-pixel rule, the same one as the agent's `GridMapping.map` (Sources/Actions/GridMapping.swift),
    /// replicated because the model target may not import Actions:
    ///
    ///     pixel = min(size − 1, floor(g · size / 1000)),   valid only for 0 ≤ g ≤ 1000
    ///
    /// Keep the two in step; a value off the grid is an error, never clamped.
    public static func pixel(_ g: Double, size: Int, parameter: String) throws -> Int {
        guard g.isFinite, g >= 0, g <= 1000 else {
            throw Qwen3VLError.notAGrounding(reason: "\(parameter) = \(g) is outside the 0–1000 grid", answer: "")
        }
        return min(size - 1, Int((g * Double(size) / 1000).rounded(.down)))
    }
}

/// A grounding in image pixels: `point` is `[x, y]`, `box` is `[x1, y1, x2, y2]`.
public struct PixelGrounding: Equatable, Sendable {
    public var label: String?
    public var point: [Int]?
    public var box: [Int]?
}
