import Foundation
import Tensor

// The symmetric InfoNCE of transformers' CLIPModel(return_loss=True):
//   ũ = u/‖u‖ (images), ṽ = v/‖v‖ (texts), s = exp(logit_scale), L = s·ũ·ṽᵀ (B, B) = logits_per_image
//   loss = (CE(Lᵀ, arange) + CE(L, arange)) / 2        (logits_per_text = Lᵀ; CE the mean over rows)
// Backward: ∂L = ((softmax_rows(L) − I) + (softmax_rows(Lᵀ) − I)ᵀ) / (2B);  ∂logit_scale = Σ ∂L ⊙ L;
//   ∂ũ = s·∂L·ṽ, ∂ṽ = s·∂Lᵀ·ũ;  through the normalization ∂u = (∂ũ − ũ·(ũ·∂ũ)) / ‖u‖.
// Legend: B pairs, D projection_dim. Norms, softmax sums and ∂logit_scale in Double; the GEMMs in Float.

/// The contrastive loss of a batch of B image and B text embeddings, paired by row.
public enum CLIPContrastiveLoss {
    public struct Result: Sendable {
        /// The mean of the two cross-entropies.
        public var loss: Double
        /// ∂loss/∂logit_scale.
        public var dLogitScale: Double
    }

    /// Loss of image (B, D) against text (B, D) embeddings (unnormalized) under `logitScale`; writes
    /// ∂loss/∂image and ∂loss/∂text (B, D) (overwritten) and returns the loss with ∂loss/∂logit_scale.
    /// A zero embedding gives NaN, as it does in transformers (the trainer refuses the step).
    public static func compute(image u: UnsafePointer<Float>, text v: UnsafePointer<Float>, batch b: Int, dim d: Int,
                               logitScale: Float, dImage: UnsafeMutablePointer<Float>, dText: UnsafeMutablePointer<Float>) -> Result {
        var un = [Float](repeating: 0, count: b * d), vn = un        // ũ, ṽ (B, D)
        var uNorm = [Double](repeating: 0, count: b), vNorm = uNorm
        normalize(u, into: &un, norms: &uNorm, batch: b, dim: d)
        normalize(v, into: &vn, norms: &vNorm, batch: b, dim: d)
        let s = Foundation.exp(Double(logitScale))
        var logits = [Float](repeating: 0, count: b * b)                // L (B, B), row i = image i
        gemm(transB: true, m: b, n: b, k: d, alpha: Float(s), a: un, lda: d, b: vn, ldb: d, c: &logits, ldc: b)
        // per-row CE of L (image → text) and of Lᵀ (text → image), each fused with its gradient ·1/(2B)
        var g1 = logits, g2 = [Float](repeating: 0, count: b * b)
        for i in 0..<b { for j in 0..<b { g2[j * b + i] = logits[i * b + j] } }
        let scale = Float(0.5 / Double(b))
        var imageLoss = 0.0, textLoss = 0.0
        g1.withUnsafeMutableBufferPointer { g in
            for i in 0..<b { imageLoss += softmaxCrossEntropyRow(g.baseAddress! + i * b, count: b, target: i, scale: scale) }
        }
        g2.withUnsafeMutableBufferPointer { g in
            for j in 0..<b { textLoss += softmaxCrossEntropyRow(g.baseAddress! + j * b, count: b, target: j, scale: scale) }
        }
        // ∂L = g1 + g2ᵀ; ∂logit_scale = Σ ∂L ⊙ L; ∂S = s·∂L (S = ũ·ṽᵀ)
        var dS = [Float](repeating: 0, count: b * b)
        var dScale = 0.0
        for i in 0..<b {
            for j in 0..<b {
                let dl = g1[i * b + j] + g2[j * b + i]
                dScale += Double(dl) * Double(logits[i * b + j])
                dS[i * b + j] = Float(Double(dl) * s)
            }
        }
        // ∂ũ = ∂S·ṽ into dImage, ∂ṽ = ∂Sᵀ·ũ into dText, then back through the normalizations
        gemm(m: b, n: d, k: b, a: dS, lda: b, b: vn, ldb: d, c: dImage, ldc: d)
        gemm(transA: true, m: b, n: d, k: b, a: dS, lda: b, b: un, ldb: d, c: dText, ldc: d)
        normalizeBackward(dImage, normalized: un, norms: uNorm, batch: b, dim: d)
        normalizeBackward(dText, normalized: vn, norms: vNorm, batch: b, dim: d)
        return Result(loss: (imageLoss + textLoss) / (2 * Double(b)), dLogitScale: dScale)
    }

    /// ũ = u / ‖u‖ per row (transformers' _get_vector_norm: no epsilon).
    static func normalize(_ u: UnsafePointer<Float>, into un: inout [Float], norms: inout [Double], batch b: Int, dim d: Int) {
        for r in 0..<b {
            var ss = 0.0
            for k in 0..<d { ss += Double(u[r * d + k]) * Double(u[r * d + k]) }
            let n = ss.squareRoot()
            norms[r] = n
            for k in 0..<d { un[r * d + k] = Float(Double(u[r * d + k]) / n) }
        }
    }

    /// In place: g ← (g − ũ·(ũ·g)) / ‖u‖ per row, the gradient through ũ = u/‖u‖.
    static func normalizeBackward(_ g: UnsafeMutablePointer<Float>, normalized un: [Float], norms: [Double], batch b: Int, dim d: Int) {
        for r in 0..<b {
            var dot = 0.0
            for k in 0..<d { dot += Double(un[r * d + k]) * Double(g[r * d + k]) }
            for k in 0..<d { g[r * d + k] = Float((Double(g[r * d + k]) - Double(un[r * d + k]) * dot) / norms[r]) }
        }
    }
}
