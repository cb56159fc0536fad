import CBLAS
import Foundation
import Tensor

/// The rotation alignment of the Unsupervised-ClipCap paper (DESIGN.md §6): each modality's SVD after
/// centering, X − μ = U·D·Vᵀ, then the image scores U_img·D_img are laid onto the text principal
/// directions and the text mean is added:
///
///     x′ = U_img·D_img·V_txtᵀ + μ_txt        (one row per image)
///
/// Both decompositions use `RightSingularVectors` (Double; the Gram matrix and dsyevd for N > D, else
/// LAPACK dgesdd) with `ThinSVD`'s sign convention: each right-singular vector is flipped so its
/// largest-magnitude component is positive, which pairs the k-th image direction with the k-th text
/// direction deterministically. U is never formed: U_img·D_img = (X_img − μ_img)·V_img.
///
/// Components: the k-th image score can only be mapped where both clouds have a k-th direction, so
/// r = min(rank_img, rank_txt) components are used, where rank is the numerical rank of the centered
/// cloud (`RightSingularVectors.numericalRank`). For N > D that is min(N, D) = D in practice, and the map is a
/// rotation (an orthogonal D×D matrix V_img·V_txtᵀ applied to the centered image cloud). For N ≤ D,
/// centering leaves N − 1 directions (the N-th singular value is 0 and its vector arbitrary), so r is at
/// most min(N_img, N_txt) − 1: x′ is the image cloud's projection on its top r directions, carried onto
/// the text's top r. Clouds of different sizes are fine; only D must agree.
public enum RotationAlignment {
    public struct Result: Sendable {
        /// [N_img, D].
        public var aligned: Tensor
        /// r, the number of components mapped.
        public var components: Int
        public var imageSingularValues: [Double]
        public var textSingularValues: [Double]
    }

    /// `image` [N_img, D] and `text` [N_txt, D], normally L2-normalized rows. Needs at least 2 rows in
    /// each cloud (one row has no direction after centering).
    public static func apply(image: Tensor, text: Tensor) throws -> Result {
        let n = image.shape[0], d = image.shape[1]
        guard n >= 2 else { throw GapError.tooFewRows(file: "image cloud", rows: n, needed: 2, purpose: "rotation") }
        guard text.shape[0] >= 2 else {
            throw GapError.tooFewRows(file: "text cloud", rows: text.shape[0], needed: 2, purpose: "rotation")
        }
        let (imageCentered, _) = centered(image)
        let (textCentered, textMean) = centered(text)
        // only s (for the ranks) and V of each cloud: the scores U_img·D_img are X_img·V_img
        let svdImage = try RightSingularVectors(imageCentered, rows: n, cols: d)
        let svdText = try RightSingularVectors(textCentered, rows: text.shape[0], cols: d)
        let r = min(svdImage.numericalRank(), svdText.numericalRank())

        // x′ = X_img·(V_img[:, :r]·V_txt[:, :r]ᵀ) + μ_txt = U_img·D_img·V_txtᵀ + μ_txt. The D×D map R is
        // formed in Double (D·D·r work), then applied in Float32 to the centered image rows (N·D·D).
        var map = [Double](repeating: 0, count: d * d)
        if r > 0 {
            svdImage.vt.withUnsafeBufferPointer { vi in
                svdText.vt.withUnsafeBufferPointer { vtx in
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(d), blasint(d), blasint(r), 1,
                                vi.baseAddress!, blasint(d), vtx.baseAddress!, blasint(d), 0, &map, blasint(d))
                }
            }
        }
        var rotation = Tensor(uninitialized: [d, d]), rows = Tensor(uninitialized: [n, d])
        let rp = rotation.mutableData, xp = rows.mutableData
        for i in 0..<(d * d) { rp[i] = Float(map[i]) }
        for i in 0..<(n * d) { xp[i] = Float(imageCentered[i]) }
        var aligned = Tensor(uninitialized: [n, d])
        let out = aligned.mutableData
        for i in 0..<n { for c in 0..<d { out[i * d + c] = Float(textMean[c]) } }
        if r > 0 {
            gemm(m: n, n: d, k: d, a: rows.data, lda: d, b: rotation.data, ldb: d, beta: 1, c: out, ldc: d)
        }
        return Result(aligned: aligned, components: r, imageSingularValues: svdImage.s,
                      textSingularValues: svdText.s)
    }

    /// The cloud minus its mean, as row-major Doubles, and the mean.
    static func centered(_ cloud: Tensor) -> ([Double], [Double]) {
        let n = cloud.shape[0], d = cloud.shape[1], p = cloud.data
        let mean = columnMean(cloud)
        var out = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for c in 0..<d { out[i * d + c] = Double(p[i * d + c]) - mean[c] } }
        return (out, mean)
    }
}
