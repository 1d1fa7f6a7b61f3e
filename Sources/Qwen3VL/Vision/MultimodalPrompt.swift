// Qwen3VL: a prompt with images — image tokens expanded, visual rows placed, 3-axis position ids, rope delta.
// Ported from transformers `models/qwen3_vl/processing_qwen3_vl.py` (one image token expanded to the image's
// merged-token count) and `models/qwen3_vl/modeling_qwen3_vl.py` (`Qwen3VLModel.get_rope_index`,
// `get_vision_position_ids`, `get_placeholder_mask` + `masked_scatter`), v5.24.0. Reference notes §2.3.6, §4.1, §4.4.

/// Everything the decoder needs to prefill a prompt with images.
public struct MultimodalPrompt {
    /// Token ids with every image token expanded to its image's token count.
    public let tokens: [Int]
    public let positions: PositionIDs
    /// `max(position) + 1 − tokens.count`: generated token at cache index p sits at position p + ropeDelta.
    public let ropeDelta: Int
    /// Indices into `tokens` of the image tokens, ascending; row r of the features goes to `visualPositions[r]`.
    public let visualPositions: [Int]
    public let features: VisionFeatures

    /// Builds the prompt from `ids` in which each `imageTokenId` stands for one image, in order.
    public static func build(ids: [Int], imageTokenId: Int, features: VisionFeatures) throws -> MultimodalPrompt {
        let placeholders = ids.filter { $0 == imageTokenId }.count
        guard placeholders == features.tokenCounts.count else {
            throw Qwen3VLError.imageTokenCountMismatch(imageTokens: placeholders, images: features.tokenCounts.count,
                                                       imageTokenId: imageTokenId)
        }
        var tokens: [Int] = []
        var visual: [Int] = []
        var t: [Int] = [], h: [Int] = [], w: [Int] = []
        tokens.reserveCapacity(ids.count + features.embeddings.rows)
        var current = 0
        var image = 0
        for id in ids {
            if id != imageTokenId {
                // Text (vision_start / vision_end included): (t, h, w) = (cur, cur, cur).
                tokens.append(id)
                t.append(current); h.append(current); w.append(current)
                current += 1
                continue
            }
            // An image block of h'×w' tokens in raster order: (t, h, w) = (cur, cur + r, cur + c); then
            // cur += max(h', w') (t_index is 0 for a still image).
            let grid = features.mergedGrids[image]
            for r in 0..<grid.height {
                for c in 0..<grid.width {
                    visual.append(tokens.count)
                    tokens.append(imageTokenId)
                    t.append(current); h.append(current + r); w.append(current + c)
                }
            }
            current += max(grid.height, grid.width)
            image += 1
        }
        // Every row of the features has exactly one image position (the reference's masked_scatter count check).
        guard visual.count == features.embeddings.rows else {
            throw Qwen3VLError.invalidImage(reason: "\(visual.count) image positions for \(features.embeddings.rows) feature rows")
        }
        let maxPosition = max(t.max() ?? -1, h.max() ?? -1, w.max() ?? -1)
        return MultimodalPrompt(tokens: tokens, positions: PositionIDs(t: t, h: h, w: w),
                                ropeDelta: maxPosition + 1 - tokens.count, visualPositions: visual, features: features)
    }

    /// Overwrites the embeddings of the image tokens in a chunk of rows `chunk` (prompt indices) of `x [T, D]`.
    func placeEmbeddings(into x: UnsafeMutablePointer<Float>, width: Int, chunk: Range<Int>) {
        for (r, p) in visualPositions.enumerated() where chunk.contains(p) {
            (x + (p - chunk.lowerBound) * width).update(from: features.embeddings.row(r), count: width)
        }
    }

    /// `h[visual_pos_mask] += deepstack[layer]` after decoder layer `layer` (only for layer < DeepStack count).
    func addDeepstack(layer: Int, into x: UnsafeMutablePointer<Float>, width: Int, chunk: Range<Int>) {
        guard layer < features.deepstack.count else { return }
        let feature = features.deepstack[layer]
        for (r, p) in visualPositions.enumerated() where chunk.contains(p) {
            let row = x + (p - chunk.lowerBound) * width, add = feature.row(r)
            for d in 0..<width { row[d] += add[d] }
        }
    }
}
