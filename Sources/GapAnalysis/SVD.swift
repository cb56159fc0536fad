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
        applySignConvention()
    }

    private mutating func applySignConvention() {
        for k in 0..<count {
            var best = 0, bestMagnitude = -1.0
            for c in 0..<cols where abs(vt[k * cols + c]) > bestMagnitude {
                best = c; bestMagnitude = abs(vt[k * cols + c])
            }
            guard vt[k * cols + best] < 0 else { continue }
            for c in 0..<cols { vt[k * cols + c] = -vt[k * cols + c] }
            for i in 0..<rows { u[i * count + k] = -u[i * count + k] }
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
