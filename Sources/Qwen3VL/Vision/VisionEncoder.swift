// Qwen3VL: the vision tower forward pass — patch embedding, interpolated position table, 2-D RoPE, ViT blocks,
// DeepStack taps, patch merger.
// Ported from transformers `models/qwen3_vl/modeling_qwen3_vl.py` (Qwen3VLVisionModel.forward,
// Qwen3VLVisionBlock, Qwen3VLVisionAttention, Qwen3VLVisionPatchMerger, Qwen3VLVisionRotaryEmbedding) and
// `vision_utils.py` (`get_vision_interpolation_indices_and_weights`), v5.24.0. Reference notes §3.
//
// Dimensions: N patches of all images together (merge-block order, image after image), Dv vision hidden,
// Hv heads of hd = Dv/Hv, Iv MLP width, m merge size (2), W = m²·Dv merged width, D text hidden.
import Dispatch
import Foundation
import Tensors

/// What the tower produces for the language model: one row per image token.
public struct VisionFeatures {
    /// `[Σ tokens, D]`: the merger output, rows in image order, raster order within an image.
    public let embeddings: Matrix
    /// One `[Σ tokens, D]` matrix per DeepStack tap, in ViT block order; feature k is added after decoder layer k.
    public let deepstack: [Matrix]
    /// Image tokens per image, and the merged grid `(h', w')` each one's tokens fill.
    public let tokenCounts: [Int]
    public let mergedGrids: [(height: Int, width: Int)]
}

/// Runs the vision tower over processed images. Scratch buffers are sized for the largest request seen and
/// reused; the outputs are new matrices each call.
public final class VisionEncoder {
    public let configuration: VisionConfiguration
    public let weights: VisionWeights
    /// `inv_freq[j] = θ^(−2j/(hd/2))`, j < hd/4 (float32 like the reference).
    let inverseFrequencies: [Float]
    private var scratch: Scratch?

    /// Called with `(name, rows × cols values)` for each intermediate result (parity tests).
    public typealias Trace = (String, UnsafePointer<Float>, Int, Int) -> Void

    public init(configuration: VisionConfiguration, weights: VisionWeights, ropeTheta: Double = 10_000) {
        self.configuration = configuration
        self.weights = weights
        let hd = configuration.hiddenSize / configuration.headCount
        let spatial = hd / 2
        // inv_freq = 1.0 / (base ** (torch.arange(0, spatial_dim, 2, dtype=torch.float) / spatial_dim))
        inverseFrequencies = stride(from: 0, to: spatial, by: 2).map { 1 / powf(Float(ropeTheta), Float($0) / Float(spatial)) }
    }

    /// Buffers for N patches in segments of at most `longest` patches.
    private final class Scratch {
        let capacity: Int, longest: Int
        let x, xn, attention: Matrix     // [N, Dv]
        let qkv: Matrix                  // [N, 3·Dv]
        let hidden: Matrix               // [N, Iv]
        let scores: [Matrix]             // per attention worker [longest, longest]: one head of one image
        let cos, sin: Matrix             // [N, hd/2]
        let wide, wideHidden: Matrix     // [N/m², W]
        let weightScratch: Matrix        // bf16 weight blocks widened for one product
        init(_ c: VisionConfiguration, capacity n: Int, longest: Int, weightScratch count: Int) {
            let dv = c.hiddenSize, m2 = c.spatialMergeSize * c.spatialMergeSize
            capacity = n
            self.longest = longest
            x = Matrix(rows: n, cols: dv); xn = Matrix(rows: n, cols: dv); attention = Matrix(rows: n, cols: dv)
            qkv = Matrix(rows: n, cols: 3 * dv)
            hidden = Matrix(rows: n, cols: c.intermediateSize)
            scores = (0..<max(1, min(c.headCount, BLAS.threadCount))).map { _ in Matrix(rows: longest, cols: longest) }
            cos = Matrix(rows: n, cols: dv / c.headCount / 2); sin = Matrix(rows: n, cols: dv / c.headCount / 2)
            wide = Matrix(rows: n / m2, cols: m2 * dv); wideHidden = Matrix(rows: n / m2, cols: m2 * dv)
            weightScratch = Matrix(rows: 1, cols: max(1, count))
        }
    }

    /// Encodes `images` (all at once: one GEMM per layer over every patch; attention stays within each image).
    public func encode(_ images: [ProcessedImage], trace: Trace? = nil) throws -> VisionFeatures {
        let c = configuration
        let m = c.spatialMergeSize, m2 = m * m
        let rowLength = c.inChannels * c.temporalPatchSize * c.patchSize * c.patchSize
        var segments: [Range<Int>] = []
        var n = 0
        for image in images {
            guard image.gridH % m == 0, image.gridW % m == 0, image.gridT >= 1,
                  image.pixelValues.count == image.patchCount * rowLength else {
                throw Qwen3VLError.invalidImage(reason: "grid \(image.gridT)×\(image.gridH)×\(image.gridW) with \(image.pixelValues.count) values does not fit patch rows of \(rowLength) merged \(m)×\(m)")
            }
            // One attention segment per temporal patch (cu_seqlens): a still image has one.
            for _ in 0..<image.gridT {
                segments.append(n..<(n + image.gridH * image.gridW))
                n += image.gridH * image.gridW
            }
        }
        guard n > 0 else { throw Qwen3VLError.invalidImage(reason: "no images to encode") }
        let longest = segments.map(\.count).max() ?? 0
        let s: Scratch
        if let existing = scratch, existing.capacity >= n, existing.longest >= longest {
            s = existing
        } else {
            s = Scratch(c, capacity: n, longest: longest, weightScratch: weights.bf16ScratchCount)
            scratch = s
        }

        let dv = c.hiddenSize, heads = c.headCount, hd = dv / heads, iv = c.intermediateSize
        let out = c.outHiddenSize, tokens = n / m2
        let w = weights

        // 1. Patch embedding (Conv3d with kernel = stride is one GEMM): x = pixel_values · W_peᵀ + b   // [N, Dv]
        var row = 0
        for image in images {
            image.pixelValues.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                BLAS.linear(base, rows: image.patchCount, weight: w.patchEmbed.pointer, outFeatures: dv,
                            inFeatures: rowLength, into: s.x.row(row))
            }
            row += image.patchCount
        }
        Kernels.addBias(w.patchEmbedBias.pointer, rows: n, n: dv, into: s.x.pointer)
        trace?("patch_embed", s.x.pointer, n, dv)

        // 2. + bilinearly resampled position table; 3. the 2-D rotary tables. Both per patch in merge-block order.
        row = 0
        for image in images {
            for _ in 0..<image.gridT {
                addPositions(gridH: image.gridH, gridW: image.gridW, at: row, scratch: s)
                row += image.gridH * image.gridW
            }
        }
        trace?("embeddings", s.x.pointer, n, dv)

        var deepstack: [Matrix] = []
        for (i, b) in w.blocks.enumerated() {
            // x = x + proj(attention(rope(q), rope(k), v))        (norm1 → qkv: [N, 3·Dv] = q | k | v)
            layerNorm(s.x, rows: n, b.norm1Weight, b.norm1Bias, into: s.xn)
            linear(s.xn.pointer, rows: n, b.qkv, into: s.qkv.pointer, scratch: s)
            Kernels.addBias(b.qkvBias.pointer, rows: n, n: 3 * dv, into: s.qkv.pointer)
            for p in 0..<n {
                let q = s.qkv.row(p), cosRow = s.cos.row(p), sinRow = s.sin.row(p)
                for h in 0..<heads {
                    Kernels.rotateHalf(q + h * hd, headDim: hd, cos: cosRow, sin: sinRow)        // q
                    Kernels.rotateHalf(q + dv + h * hd, headDim: hd, cos: cosRow, sin: sinRow)   // k
                }
            }
            for segment in segments { attend(segment, heads: heads, headDim: hd, scratch: s) }
            linear(s.attention.pointer, rows: n, b.proj, into: s.x.pointer, accumulate: true, scratch: s)
            Kernels.addBias(b.projBias.pointer, rows: n, n: dv, into: s.x.pointer)
            // x = x + fc2(gelu_tanh(fc1(norm2(x))))
            layerNorm(s.x, rows: n, b.norm2Weight, b.norm2Bias, into: s.xn)
            linear(s.xn.pointer, rows: n, b.fc1, into: s.hidden.pointer, scratch: s)
            Kernels.addBias(b.fc1Bias.pointer, rows: n, n: iv, into: s.hidden.pointer)
            Kernels.geluTanh(s.hidden.pointer, n: n * iv)
            linear(s.hidden.pointer, rows: n, b.fc2, into: s.x.pointer, accumulate: true, scratch: s)
            Kernels.addBias(b.fc2Bias.pointer, rows: n, n: dv, into: s.x.pointer)
            trace?("block.\(i)", s.x.pointer, n, dv)

            // DeepStack: `deepstack_merger_list[deepstack_visual_indexes.index(layer_num)]`, appended in block order.
            if let k = c.deepstackVisualIndexes.firstIndex(of: i) {
                let feature = Matrix(rows: tokens, cols: out)
                merge(s.x, with: w.deepstackMergers[k], tokens: tokens, into: feature, scratch: s)
                trace?("deepstack_merger.\(k)", feature.pointer, tokens, out)
                deepstack.append(feature)
            }
        }

        let embeddings = Matrix(rows: tokens, cols: out)
        merge(s.x, with: w.merger, tokens: tokens, into: embeddings, scratch: s)
        trace?("merger", embeddings.pointer, tokens, out)
        return VisionFeatures(embeddings: embeddings, deepstack: deepstack,
                              tokenCounts: images.map { $0.patchCount / m2 },
                              mergedGrids: images.map { ($0.gridH / m, $0.gridW / m) })
    }

    /// LayerNorm (eps 1e-6 throughout the ViT) of `rows` rows of `x` into `y`.
    private func layerNorm(_ x: Matrix, rows: Int, _ weight: Matrix, _ bias: Matrix, into y: Matrix) {
        Kernels.layerNorm(x.pointer, rows: rows, n: x.cols, weight: weight.pointer, bias: bias.pointer, eps: 1e-6,
                          into: y.pointer)
    }

    /// Adds the interpolated position table to `x` and fills the rotary tables for one frame's patches.
    private func addPositions(gridH gh: Int, gridW gw: Int, at start: Int, scratch s: Scratch) {
        let c = configuration
        let side = c.positionGridSide, m = c.spatialMergeSize, dv = c.hiddenSize
        let quarter = inverseFrequencies.count
        // src = index * (side - 1) / clamp(size - 1, min=1); floor taps (floor, floor+1 clamped),
        // weights (1 - |src - tap|).clamp(min=0), all float32 like the reference.
        func taps(_ index: Int, _ size: Int) -> (Int, Int, Float, Float) {
            let src = Float(index) * Float(side - 1) / Float(max(size - 1, 1))
            let f = src.rounded(.down)
            let t0 = min(max(Int(f), 0), side - 1), t1 = min(max(Int(f) + 1, 0), side - 1)
            return (t0, t1, max(1 - abs(src - f), 0), max(1 - abs(src - f - 1), 0))
        }
        let table = weights.positionTable
        var p = start
        for br in 0..<(gh / m) {
            for bc in 0..<(gw / m) {
                for ir in 0..<m {
                    for ic in 0..<m {
                        let r = br * m + ir, col = bc * m + ic
                        let (r0, r1, wr0, wr1) = taps(r, gh)
                        let (c0, c1, wc0, wc1) = taps(col, gw)
                        let x = s.x.row(p)
                        let t00 = table.row(r0 * side + c0), t01 = table.row(r0 * side + c1)
                        let t10 = table.row(r1 * side + c0), t11 = table.row(r1 * side + c1)
                        let w00 = wr0 * wc0, w01 = wr0 * wc1, w10 = wr1 * wc0, w11 = wr1 * wc1
                        for d in 0..<dv {
                            x[d] += t00[d] * w00 + t01[d] * w01 + t10[d] * w10 + t11[d] * w11
                        }
                        // Rotary angles: [row · inv_freq, col · inv_freq] (hd/2 values; both halves of HF's
                        // cos/sin rows are equal).
                        let cosRow = s.cos.row(p), sinRow = s.sin.row(p)
                        for j in 0..<quarter {
                            let a = Float(r) * inverseFrequencies[j], b = Float(col) * inverseFrequencies[j]
                            cosRow[j] = cosf(a); sinRow[j] = sinf(a)
                            cosRow[quarter + j] = cosf(b); sinRow[quarter + j] = sinf(b)
                        }
                        p += 1
                    }
                }
            }
        }
    }

    /// Full (bidirectional) attention of one image's patches: strided views into the qkv rows, one head at a time
    /// per worker. The heads run concurrently with OpenBLAS held to one thread: with its threads on each
    /// (narrow) product instead, the long single-threaded softmax rows left them spinning, which cost about as
    /// much CPU as the products themselves on a 2-core machine. (OpenBLAS's thread count is process-wide, so
    /// nothing else should run matrix products while an image is being encoded.)
    private func attend(_ segment: Range<Int>, heads: Int, headDim hd: Int, scratch s: Scratch) {
        let workers = min(heads, BLAS.threadCount, s.scores.count)
        let len = segment.count, dv = configuration.hiddenSize
        let scale = 1 / Float(hd).squareRoot()
        let qkv = s.qkv.row(segment.lowerBound), out = s.attention.row(segment.lowerBound)
        let scoreBuffers = s.scores.map(\.pointer)
        func head(_ h: Int, _ scores: UnsafeMutablePointer<Float>) {
            let q = qkv + h * hd, k = q + dv, v = q + 2 * dv
            // scores[len, len] = q_h · k_hᵀ / sqrt(hd); softmax per row; out_h[len, hd] = scores · v_h
            BLAS.gemm(transposeB: true, m: len, n: len, k: hd, a: q, lda: 3 * dv, b: k, ldb: 3 * dv,
                      c: scores, ldc: len, alpha: scale)
            // Rows of thousands of keys: the vectorised exp (libm's scalar expf costs more than the products).
            for i in 0..<len { Kernels.softmax(scores + i * len, n: len) }
            BLAS.gemm(transposeB: false, m: len, n: hd, k: len, a: scores, lda: len, b: v, ldb: 3 * dv,
                      c: out + h * hd, ldc: dv)
        }
        guard workers > 1 else {
            for h in 0..<heads { head(h, scoreBuffers[0]) }
            return
        }
        let threads = BLAS.threadCount
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(threads) }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for h in stride(from: w, to: heads, by: workers) { head(h, scoreBuffers[w]) }
        }
    }

    /// `y = x·Wᵀ` through the one BLAS wrapper, with the scratch bf16 weight blocks are widened into.
    @inline(__always)
    private func linear(_ x: UnsafePointer<Float>, rows: Int, _ w: Weight, into y: UnsafeMutablePointer<Float>,
                        accumulate: Bool = false, scratch s: Scratch) {
        BLAS.linear(x, rows: rows, weight: w, into: y, accumulate: accumulate,
                    scratch: s.weightScratch.pointer, scratchCount: s.weightScratch.count)
    }

    /// A patch merger: LayerNorm (before or after viewing 4 consecutive rows as one `[W]` row), fc1, erf-GELU, fc2.
    private func merge(_ x: Matrix, with mw: PatchMergerWeights, tokens: Int, into output: Matrix, scratch s: Scratch) {
        let dv = configuration.hiddenSize, wide = s.wide.cols
        let eps: Float = 1e-6
        // The [N, Dv] buffer read as [N/m², m²·Dv] is the 2×2 shuffle: merge blocks are consecutive rows.
        if mw.postShuffleNorm {
            Kernels.layerNorm(x.pointer, rows: tokens, n: wide, weight: mw.normWeight.pointer, bias: mw.normBias.pointer,
                              eps: eps, into: s.wide.pointer)
        } else {
            Kernels.layerNorm(x.pointer, rows: tokens * (wide / dv), n: dv, weight: mw.normWeight.pointer,
                              bias: mw.normBias.pointer, eps: eps, into: s.wide.pointer)
        }
        linear(s.wide.pointer, rows: tokens, mw.fc1, into: s.wideHidden.pointer, scratch: s)
        Kernels.addBias(mw.fc1Bias.pointer, rows: tokens, n: wide, into: s.wideHidden.pointer)
        Kernels.geluErf(s.wideHidden.pointer, n: tokens * wide)
        linear(s.wideHidden.pointer, rows: tokens, mw.fc2, into: output.pointer, scratch: s)
        Kernels.addBias(mw.fc2Bias.pointer, rows: tokens, n: output.cols, into: output.pointer)
    }
}
