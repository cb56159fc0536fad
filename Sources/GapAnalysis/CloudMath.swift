import Foundation
import Tensor

// Small row-wise helpers on [N, D] Float32 clouds. Reductions accumulate in Double so that results do
// not depend on N's size; hot loops stay on raw pointers.

/// The rows of `cloud` scaled to unit L2 norm (norms accumulated in Double). Throws for a zero row or a
/// non-finite value, naming `name` (the store's path) and the 0-based row.
func normalizedRows(_ cloud: Tensor, name: String) throws -> Tensor {
    let n = cloud.shape[0], d = cloud.shape[1]
    var out = Tensor(uninitialized: [n, d])
    let src = cloud.data, dst = out.mutableData
    for i in 0..<n {
        let row = src + i * d
        var s = 0.0
        for k in 0..<d { let v = Double(row[k]); s += v * v }
        guard s.isFinite else { throw GapError.nonFinite(file: name, row: i) }
        guard s > 0 else { throw GapError.zeroRow(file: name, row: i) }
        let inv = 1 / s.squareRoot()
        for k in 0..<d { dst[i * d + k] = Float(Double(row[k]) * inv) }
    }
    return out
}

/// Throws for a NaN or an infinity, naming `name` and the 0-based row.
func checkFinite(_ cloud: Tensor, name: String) throws {
    let n = cloud.shape[0], d = cloud.shape[1], p = cloud.data
    for i in 0..<n {
        for k in 0..<d where !p[i * d + k].isFinite { throw GapError.nonFinite(file: name, row: i) }
    }
}

/// Rows scaled to unit norm in place; rows of norm 0 are left as they are.
func renormalizeRowsInPlace(_ cloud: inout Tensor) {
    let n = cloud.shape[0], d = cloud.shape[1], p = cloud.mutableData
    for i in 0..<n {
        var s = 0.0
        for k in 0..<d { let v = Double(p[i * d + k]); s += v * v }
        guard s > 0 else { continue }
        let inv = Float(1 / s.squareRoot())
        for k in 0..<d { p[i * d + k] *= inv }
    }
}

/// The mean row, in Double.
func columnMean(_ cloud: Tensor) -> [Double] {
    let n = cloud.shape[0], d = cloud.shape[1], p = cloud.data
    var mean = [Double](repeating: 0, count: d)
    for i in 0..<n { for k in 0..<d { mean[k] += Double(p[i * d + k]) } }
    let inv = 1 / Double(max(n, 1))
    for k in 0..<d { mean[k] *= inv }
    return mean
}

/// ‖x_i‖² for every row, in Float32 (for the ‖x‖² + ‖y‖² − 2·x·y expansion).
func rowSquaredNorms(_ cloud: Tensor) -> [Float] {
    let n = cloud.shape[0], d = cloud.shape[1], p = cloud.data
    return (0..<n).map { i in
        var s = 0.0
        for k in 0..<d { let v = Double(p[i * d + k]); s += v * v }
        return Float(s)
    }
}

/// The mean of ‖a_i − b_i‖ over rows (a and b of equal shape): "mean distance moved".
func meanRowDistance(_ a: Tensor, _ b: Tensor) -> Double {
    let n = a.shape[0], d = a.shape[1], pa = a.data, pb = b.data
    var total = 0.0
    for i in 0..<n {
        var s = 0.0
        for k in 0..<d { let v = Double(pa[i * d + k]) - Double(pb[i * d + k]); s += v * v }
        total += s.squareRoot()
    }
    return total / Double(max(n, 1))
}

/// The mean row norm.
func meanRowNorm(_ a: Tensor) -> Double {
    let n = a.shape[0], d = a.shape[1], p = a.data
    var total = 0.0
    for i in 0..<n {
        var s = 0.0
        for k in 0..<d { let v = Double(p[i * d + k]); s += v * v }
        total += s.squareRoot()
    }
    return total / Double(max(n, 1))
}

/// Cosine of two rows, in Double.
@inline(__always)
func cosine(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: Int) -> Double {
    var xy = 0.0, xx = 0.0, yy = 0.0
    for k in 0..<d {
        let a = Double(x[k]), b = Double(y[k])
        xy += a * b; xx += a * a; yy += b * b
    }
    return xy / (xx * yy).squareRoot()
}

