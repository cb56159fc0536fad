import CBLAS
import CLAPACKE
import Foundation

/// A thin singular value decomposition A = U·diag(s)·Vᵀ of a row-major [rows, cols] matrix, in Double,
/// through LAPACK's divide-and-conquer `dgesdd` (jobz "S"). With r = min(rows, cols): U is [rows, r],
/// s holds r values in decreasing order, Vᵀ is [r, cols]; all row-major.
///
/// Sign convention (as DESIGN.md §6 fixes it, so results are reproducible across LAPACK builds): each
/// right-singular vector (a row of Vᵀ) is flipped, with its left partner (a column of U), so that its
/// largest-magnitude component is positive; on a tie in magnitude the first such component decides,
/// as numpy's `argmax` does.
public struct ThinSVD: Sendable {
    public let rows: Int
    public let cols: Int
    /// min(rows, cols).
    public let count: Int
    /// [rows, count], row-major.
    public private(set) var u: [Double]
    /// [count], decreasing.
    public let s: [Double]
    /// [count, cols], row-major.
    public private(set) var vt: [Double]

    /// Decomposes `matrix` ([rows, cols], row-major). Throws `GapError.lapack` when dgesdd fails to
    /// converge or reports an invalid argument.
    public init(_ matrix: [Double], rows: Int, cols: Int) throws {
        precondition(matrix.count == rows * cols, "matrix size does not match rows × cols")
        let r = min(rows, cols)
        guard r > 0 else { throw GapError.lapack(routine: "dgesdd", info: -3) }
        var a = matrix
        var s = [Double](repeating: 0, count: r)
        var u = [Double](repeating: 0, count: rows * r)
        var vt = [Double](repeating: 0, count: r * cols)
        let info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), .init(rows), .init(cols), &a,
                                  .init(cols), &s, &u, .init(r), &vt, .init(cols))
        guard info == 0 else { throw GapError.lapack(routine: "dgesdd", info: Int(info)) }
        self.rows = rows; self.cols = cols; self.count = r
        self.u = u; self.s = s; self.vt = vt
        for k in Self.flippedRows(of: self.vt, count: r, cols: cols) {
            for c in 0..<cols { self.vt[k * cols + c] = -self.vt[k * cols + c] }
            for i in 0..<rows { self.u[i * r + k] = -self.u[i * r + k] }
        }
    }

    /// The rows k of `vt` ([count, cols]) that the sign convention flips: those whose largest-magnitude
    /// component (the first on a tie) is negative.
    static func flippedRows(of vt: [Double], count: Int, cols: Int) -> [Int] {
        (0..<count).filter { k in
            var best = 0, bestMagnitude = -1.0
            for c in 0..<cols where abs(vt[k * cols + c]) > bestMagnitude {
                best = c; bestMagnitude = abs(vt[k * cols + c])
            }
            return vt[k * cols + best] < 0
        }
    }

    /// The number of singular values above `relativeTolerance`·s₀: the numerical rank. Centering N rows
    /// leaves at most N − 1 non-zero values; the default 1e-10 separates those from rounding noise for
    /// any data that came from Float32.
    public func numericalRank(relativeTolerance: Double = 1e-10) -> Int {
        guard let first = s.first, first > 0 else { return 0 }
        return s.prefix { $0 > relativeTolerance * first }.count
    }
}

/// The singular values and right-singular vectors of a row-major [rows, cols] matrix A, without U: what
/// the rotation alignment needs, since its scores U·diag(s) equal A·V. Same layout, order and sign
/// convention as `ThinSVD` (s decreasing; Vᵀ [count, cols]; each row of Vᵀ has a positive largest component).
///
/// For a tall matrix (rows > cols) it decomposes the Gram matrix instead: G = AᵀA ([cols, cols], Double,
/// `dsyrk`), then G = V·diag(s²)·Vᵀ (`dsyevd`). That is O(rows·cols²/2) plus O(cols³) work and never
/// touches a [rows, cols] U: at 40,000 × 512 it is several times faster than dgesdd. Squaring costs
/// precision only for singular values far below the largest: an eigenvalue of G is accurate to about
/// cols·ε·s₀², so s_k is reliable while s_k ≫ √(cols·ε)·s₀ ≈ 2.4e-7·s₀. When any s_k < 1e-5·s₀ (a nearly
/// rank-deficient cloud, where `numericalRank` must tell rounding noise from signal), and for wide
/// matrices, it runs `ThinSVD` (dgesdd) instead, so ranks are decided on the accurate values.
public struct RightSingularVectors: Sendable {
    public let rows: Int
    public let cols: Int
    /// min(rows, cols).
    public let count: Int
    /// [count], decreasing.
    public let s: [Double]
    /// [count, cols], row-major.
    public let vt: [Double]
    /// Whether the Gram route was used (false: dgesdd).
    public let viaGram: Bool

    /// Below this ratio to s₀ a singular value from the Gram route is not trusted (see the type's notes).
    public static let gramRelativeFloor = 1e-5

    /// Decomposes `matrix` ([rows, cols], row-major). Throws `GapError.lapack` when LAPACK fails.
    public init(_ matrix: [Double], rows: Int, cols: Int) throws {
        precondition(matrix.count == rows * cols, "matrix size does not match rows × cols")
        self.rows = rows; self.cols = cols
        if rows > cols, let gram = try Self.gram(matrix, rows: rows, cols: cols) {
            (s, vt, count, viaGram) = (gram.s, gram.vt, cols, true)
        } else {
            let svd = try ThinSVD(matrix, rows: rows, cols: cols)
            (s, vt, count, viaGram) = (svd.s, svd.vt, svd.count, false)
        }
    }

    /// The number of singular values above `relativeTolerance`·s₀, as `ThinSVD.numericalRank`.
    public func numericalRank(relativeTolerance: Double = 1e-10) -> Int {
        guard let first = s.first, first > 0 else { return 0 }
        return s.prefix { $0 > relativeTolerance * first }.count
    }

    /// s and Vᵀ through AᵀA; nil when the smallest singular value is below `gramRelativeFloor`·s₀.
    private static func gram(_ a: [Double], rows: Int, cols d: Int) throws -> (s: [Double], vt: [Double])? {
        // G (d×d, upper triangle) = AᵀA; dsyevd reads the same triangle
        var g = [Double](repeating: 0, count: d * d)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(rows), 1, a, blasint(d), 0, &g, blasint(d))
        var eigenvalues = [Double](repeating: 0, count: d)
        let info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), .init(d), &g,
                                  .init(d), &eigenvalues)
        guard info == 0 else { throw GapError.lapack(routine: "dsyevd", info: Int(info)) }
        // eigenvalues ascend and eigenvectors are the columns of g; singular k is eigenpair d − 1 − k
        let s = (0..<d).map { max(0, eigenvalues[d - 1 - $0]).squareRoot() }
        guard let first = s.first, first > 0, s[d - 1] >= gramRelativeFloor * first else { return nil }
        var vt = [Double](repeating: 0, count: d * d)
        for k in 0..<d { for c in 0..<d { vt[k * d + c] = g[c * d + (d - 1 - k)] } }
        for k in ThinSVD.flippedRows(of: vt, count: d, cols: d) {
            for c in 0..<d { vt[k * d + c] = -vt[k * d + c] }
        }
        return (s, vt)
    }
}
