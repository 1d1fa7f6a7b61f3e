// Qwen3VL: multimodal position ids (t, h, w) per token.
// Reference: transformers `models/qwen3_vl/modeling_qwen3_vl.py` `get_rope_index` (reference notes §4.4).

/// Three position rows (temporal, height, width) for a run of tokens. Text tokens have t = h = w, so
/// for text-only input MRoPE degenerates to ordinary 1-D RoPE; image blocks (vision issue) differ.
public struct PositionIDs: Equatable, Sendable {
    public var t: [Int]
    public var h: [Int]
    public var w: [Int]

    public var count: Int { t.count }

    public init(t: [Int], h: [Int], w: [Int]) {
        self.t = t
        self.h = h
        self.w = w
    }

    /// Positions `start ..< start + count` for text tokens.
    public static func text(start: Int, count: Int) -> PositionIDs {
        let p = Array(start..<(start + count))
        return PositionIDs(t: p, h: p, w: p)
    }

    /// The slice `range` of these positions.
    public func slice(_ range: Range<Int>) -> PositionIDs {
        PositionIDs(t: Array(t[range]), h: Array(h[range]), w: Array(w[range]))
    }
}
