// The one rule that turns the model's coordinates into screen pixels.
//
// Qwen3-VL answers on a relative 0–1000 grid (docs/qwen3vl-reference.md §6.1): x right, y down, the
// whole screenshot spanning 0…1000 on each axis whatever its size. The rule:
//
//     pixel = min(size − 1, floor(g · size / 1000)),   valid only for 0 ≤ g ≤ 1000
//
// so grid cell g covers pixels [g·size/1000, (g+1)·size/1000) and g = 1000, the far edge itself, is the
// last pixel. A value outside 0…1000 (or NaN) is an error, never clamped: a model that points off
// the screen is wrong, and guessing what it meant is how an agent clicks the wrong thing.

public struct GridMapping: Hashable, Sendable {
    public static let gridSize: Double = 1000
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) { self.width = width; self.height = height }

    /// Maps a grid point to a screen pixel.
    public func pixel(for p: Point) throws -> (x: Int, y: Int) {
        (try GridMapping.map(p.x, size: width, parameter: "coordinate[0]"),
         try GridMapping.map(p.y, size: height, parameter: "coordinate[1]"))
    }

    /// The action with every coordinate mapped from the grid to screen pixels.
    public func toPixels(_ action: Action) throws -> Action {
        try action.mapPoint { p in
            let (x, y) = try pixel(for: p)
            return Point(x: Double(x), y: Double(y))
        }
    }

    /// Checks that an action already in pixels lies on the screen (for `--pixels` input).
    public func checkPixels(_ action: Action) throws -> Action {
        try action.mapPoint { p in
            guard p.x >= 0, p.x <= Double(width - 1) else {
                throw ActionError.coordinateOutOfRange(parameter: "coordinate[0]", value: p.x, limit: Double(width - 1))
            }
            guard p.y >= 0, p.y <= Double(height - 1) else {
                throw ActionError.coordinateOutOfRange(parameter: "coordinate[1]", value: p.y, limit: Double(height - 1))
            }
            return Point(x: p.x.rounded(.down), y: p.y.rounded(.down))
        }
    }

    /// The grid point at the centre of a pixel (for explaining pixels to the model, and for tests).
    public func gridPoint(forPixel x: Int, _ y: Int) -> Point {
        Point(x: (Double(x) + 0.5) * GridMapping.gridSize / Double(width),
              y: (Double(y) + 0.5) * GridMapping.gridSize / Double(height))
    }

    static func map(_ g: Double, size: Int, parameter: String) throws -> Int {
        guard g.isFinite, g >= 0, g <= gridSize else {
            throw ActionError.coordinateOutOfRange(parameter: parameter, value: g, limit: gridSize)
        }
        return min(size - 1, Int((g * Double(size) / gridSize).rounded(.down)))
    }
}
