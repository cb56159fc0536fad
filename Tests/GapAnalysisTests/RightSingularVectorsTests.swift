import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// The Gram route (AᵀA, dsyevd) against dgesdd (`ThinSVD`), its fallback on nearly rank-deficient clouds,
/// and the rotation built on it against U·D·Vᵀ from dgesdd.
@Suite struct RightSingularVectorsTests {
    /// A tall [rows, cols] matrix with singular values spread over two decades (well separated).
    static func tall(rows: Int, cols: Int, seed: UInt64) -> [Double] {
        var rng = SeededRNG(seed: seed)
        var a = (0..<(rows * cols)).map { _ in rng.normal() }
        for i in 0..<rows { for c in 0..<cols { a[i * cols + c] *= pow(10, -2 * Double(c) / Double(cols)) } }
        return a
    }

    @Test func gramRouteMatchesDgesdd() throws {
        let rows = 400, cols = 24
        let a = Self.tall(rows: rows, cols: cols, seed: 21)
        let gram = try RightSingularVectors(a, rows: rows, cols: cols)
        let svd = try ThinSVD(a, rows: rows, cols: cols)
        #expect(gram.viaGram)
        #expect(gram.count == cols)
        expectClose(gram.s, svd.s, atol: 0, rtol: 1e-10, "singular values")
        // same sign convention, so the vectors agree elementwise
        expectClose(gram.vt, svd.vt, atol: 1e-9, "right-singular vectors")
        #expect(gram.numericalRank() == svd.numericalRank())
    }

    @Test func nearlyRankDeficientAndWideMatricesUseDgesdd() throws {
        // the last column is a combination of the first two plus 1e-9 noise: s_min/s_0 ≈ 1e-9 < 1e-5
        let rows = 200, cols = 6
        var rng = SeededRNG(seed: 5)
        var a = (0..<(rows * cols)).map { _ in rng.normal() }
        for i in 0..<rows { a[i * cols + 5] = a[i * cols] - 2 * a[i * cols + 1] + 1e-9 * rng.normal() }
        let deficient = try RightSingularVectors(a, rows: rows, cols: cols)
        #expect(!deficient.viaGram)
        let svd = try ThinSVD(a, rows: rows, cols: cols)
        #expect(deficient.s == svd.s && deficient.vt == svd.vt)

        let wide = try RightSingularVectors(Self.tall(rows: 5, cols: 9, seed: 2), rows: 5, cols: 9)
        #expect(!wide.viaGram && wide.count == 5)
    }

    @Test func rotationOnTallCloudsEqualsUDVt() throws {
        // N > D: the Gram route; the reference is U_img·D_img·V_txtᵀ + μ_txt from dgesdd, in Double
        var rng = SeededRNG(seed: 9)
        let n = 300, m = 250, d = 16
        let image = Tensor.randomNormal([n, d], std: 1, rng: &rng), text = Tensor.randomNormal([m, d], std: 1, rng: &rng)
        let result = try RotationAlignment.apply(image: image, text: text)
        #expect(result.components == d)

        func centered(_ t: Tensor) -> ([Double], [Double]) {
            let rows = t.shape[0]
            var mean = [Double](repeating: 0, count: d)
            for i in 0..<rows { for c in 0..<d { mean[c] += Double(t[flat: i * d + c]) / Double(rows) } }
            return ((0..<(rows * d)).map { Double(t[flat: $0]) - mean[$0 % d] }, mean)
        }
        let (xi, _) = centered(image), (xt, muT) = centered(text)
        let si = try ThinSVD(xi, rows: n, cols: d), st = try ThinSVD(xt, rows: m, cols: d)
        var expected = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            for c in 0..<d {
                var v = muT[c]
                for k in 0..<d { v += si.u[i * d + k] * si.s[k] * st.vt[k * d + c] }
                expected[i * d + c] = v
            }
        }
        // the map is applied in Float32 to Float32-rounded centered rows: a few ulp of |x| ≈ 4
        expectClose(result.aligned.scalars, expected, atol: 1e-5, "rotation via the Gram route")
    }
}
