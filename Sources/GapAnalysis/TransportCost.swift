import Foundation
import Tensor

/// The ground cost between an image row x and a text row y, for exact and entropic OT.
public enum TransportCost: String, CaseIterable, Sendable, Codable {
    /// ‖x − y‖ (the default, and POT's `metric="euclidean"`).
    case euclidean
    /// ‖x − y‖² (POT's default `metric="sqeuclidean"`).
    case sqeuclidean
    /// 1 − cos(x, y) (POT's `metric="cosine"`).
    case cosine

    /// The exact cost of one pair, accumulated in Double over the Float32 rows. For the Euclidean costs
    /// the differences are summed directly, so nothing cancels.
    @inline(__always)
    public func exact(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, dimension d: Int) -> Double {
        switch self {
        case .euclidean, .sqeuclidean:
            var s = 0.0
            for k in 0..<d { let v = Double(x[k]) - Double(y[k]); s += v * v }
            return self == .euclidean ? s.squareRoot() : s
        case .cosine:
            return 1 - GapAnalysis.cosine(x, y, d)
        }
    }

    /// Throws for a zero row when the cost is `cosine` (its cosine is undefined). Rows are normally unit
    /// vectors; this matters only for clouds used as stored (`normalize: false`).
    func checkDefined(_ x: Tensor, _ y: Tensor) throws {
        guard self == .cosine else { return }
        for (cloud, name) in [(x, "image cloud"), (y, "text cloud")] {
            let norms = rowSquaredNorms(cloud)
            if let row = norms.firstIndex(of: 0) { throw GapError.zeroRow(file: name, row: row) }
        }
    }

    /// The full [N, M] cost matrix in Float32 (through one GEMM: ‖x‖² + ‖y‖² − 2·X·Yᵀ).
    public func matrix(_ x: Tensor, _ y: Tensor) -> Tensor {
        let grid = CostGrid(x: x, y: y, cost: self)
        var out = Tensor(uninitialized: [x.shape[0], y.shape[0]])
        grid.fill(rows: 0..<x.shape[0], into: out.mutableData)
        return out
    }
}

/// Float32 cost blocks between two clouds, computed through BLAS: rows [lo, hi) of the [N, M] matrix at
/// a time, so callers can scan matrices that do not fit in memory.
///
/// Float32 cancellation bounds the error of an entry; `errorBound(row:column:value:)` gives a safe bound
/// that callers use to decide which entries to recompute exactly (`TransportCost.exact`).
struct CostGrid {
    let x: Tensor, y: Tensor
    let cost: TransportCost
    let xx: [Float], yy: [Float]
    var n: Int { x.shape[0] }
    var m: Int { y.shape[0] }
    var d: Int { x.shape[1] }

    init(x: Tensor, y: Tensor, cost: TransportCost) {
        self.x = x; self.y = y; self.cost = cost
        xx = rowSquaredNorms(x); yy = rowSquaredNorms(y)
    }

    /// Writes rows `rows` of the cost matrix into `out` ([rows.count, M], row-major).
    func fill(rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let b = rows.count, m = self.m
        guard b > 0, m > 0 else { return }
        gemm(transB: true, m: b, n: m, k: d, a: x.data + rows.lowerBound * d, lda: d, b: y.data, ldb: d,
             c: out, ldc: m)
        let cost = self.cost
        xx.withUnsafeBufferPointer { xxp in
            yy.withUnsafeBufferPointer { yyp in
                Parallel.forEachChunk(b, costPerItem: m) { chunk in
                    for r in chunk {
                        let row = out + r * m
                        let xi = xxp[rows.lowerBound + r]
                        switch cost {
                        case .euclidean, .sqeuclidean:
                            for j in 0..<m {
                                let s = max(0, xi + yyp[j] - 2 * row[j])
                                row[j] = cost == .euclidean ? s.squareRoot() : s
                            }
                        case .cosine:
                            let nx = xi.squareRoot()
                            for j in 0..<m { row[j] = 1 - row[j] / (nx * yyp[j].squareRoot()) }
                        }
                    }
                }
            }
        }
    }

    /// A bound on |Float32 entry − exact entry| for the pair (i, j) whose Float32 value is `value`.
    /// The dot product of Float32 vectors summed in Float32 is off by at most about D·2⁻²⁴·‖x‖‖y‖
    /// (the worst case; typical errors are √D times smaller); we take 2× that plus the rounding of the
    /// norms. For the Euclidean distance, |√a − √b| ≤ min(√δ, δ/√a).
    @inline(__always)
    func errorBound(row i: Int, column j: Int, value: Float) -> Double {
        let unit = 1.2e-7 * Double(d + 4)
        switch cost {
        case .sqeuclidean:
            return unit * Double(xx[i] + yy[j])
        case .euclidean:
            let delta = unit * Double(xx[i] + yy[j])
            let a = Double(value)
            return a > 0 ? min(delta.squareRoot(), delta / a) : delta.squareRoot()
        case .cosine:
            return unit
        }
    }

    /// The exact cost of the pair (i, j).
    @inline(__always)
    func exact(_ i: Int, _ j: Int) -> Double {
        cost.exact(x.data + i * d, y.data + j * d, dimension: d)
    }
}
