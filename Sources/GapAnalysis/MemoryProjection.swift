import Foundation
import Tensor

/// DeCap's projection onto a text memory: each image embedding is replaced by a softmax-weighted mix of
/// the (L2-normalized) text embeddings,
///
///     x′ = Σⱼ softmaxⱼ(⟨x, tⱼ⟩ / τ) · tⱼ,   then x′ ← x′ / ‖x′‖,
///
/// with temperature τ (DeCap uses τ = 1/100 on normalized CLIP embeddings). The mix lies inside the
/// text cloud's convex hull, so it is shorter than 1; DeCap renormalizes it before decoding, and so do
/// we unless asked not to. Work is done in blocks of image rows, so the [N_img, N_txt] similarity matrix
/// never has to fit in memory at once.
public enum MemoryProjection {
    /// `image` [N_img, D], `memory` [N_txt, D]; returns [N_img, D].
    public static func apply(image: Tensor, memory: Tensor, temperature: Double = 0.01,
                             renormalize: Bool = true) throws -> Tensor {
        guard temperature > 0, temperature.isFinite else {
            throw GapError.invalidParameter(name: "temperature", value: "\(temperature)", reason: "must be positive")
        }
        let n = image.shape[0], d = image.shape[1], m = memory.shape[0]
        guard m >= 1 else { throw GapError.tooFewRows(file: "text cloud", rows: m, needed: 1, purpose: "memory projection") }
        var out = Tensor(uninitialized: [n, d])
        let block = max(1, min(n, (1 << 22) / max(m, 1)))
        var weights = Tensor(uninitialized: [block, m])
        let w = weights.mutableData, dst = out.mutableData
        var start = 0
        while start < n {
            let b = min(block, n - start)
            gemm(transB: true, m: b, n: m, k: d, alpha: Float(1 / temperature), a: image.data + start * d, lda: d,
                 b: memory.data, ldb: d, c: w, ldc: m)
            Parallel.forEachChunk(b, costPerItem: m) { rows in
                for r in rows { softmaxRow(w + r * m, m) }
            }
            gemm(m: b, n: d, k: m, a: w, lda: m, b: memory.data, ldb: d, c: dst + start * d, ldc: d)
            start += b
        }
        if renormalize { renormalizeRowsInPlace(&out) }
        return out
    }
}
