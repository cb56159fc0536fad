import Foundation
import Tensor

/// Entropic optimal transport between two uniform clouds, by Sinkhorn iterations in the log domain
/// (stable for any ε: only differences of potentials are exponentiated, so nothing overflows).
///
/// The problem is min ⟨T, C⟩ − ε·H(T) over plans with row sums aᵢ = 1/N and column sums bⱼ = 1/M. With
/// potentials f, g the plan is Tᵢⱼ = exp((fᵢ + gⱼ − Cᵢⱼ)/ε), and one iteration is
///
///     fᵢ = ε·log aᵢ − ε·LSEⱼ((gⱼ − Cᵢⱼ)/ε),   then   gⱼ = ε·log bⱼ − ε·LSEᵢ((fᵢ − Cᵢⱼ)/ε).
///
/// After the g-step the columns are exact; the row error of that plan, Σᵢ |rowsumᵢ − aᵢ| (L1), comes
/// for free from the next f-step (rowsumᵢ = aᵢ·exp((f_oldᵢ − f_newᵢ)/ε)). Iteration stops when it is
/// below `tolerance`, and the returned plan is the one whose error was measured. POT's `sinkhorn_log`
/// computes the same fixed point (it updates g first and measures the column error in L2 every 10
/// iterations); converged plans agree. By default ε is annealed (ε-scaling): levels from half the cost
/// spread down to the target ε, halving, each warm-started by the last; only the last level is at the
/// target ε and decides convergence, so the fixed point is the same, reached in far fewer iterations.
///
/// ε is absolute, in cost units: on unit-norm embeddings Euclidean costs lie in [0, 2], and ε = 0.01 is
/// sharp (close to exact OT) while ε = 0.1 blurs each image over many captions. Arithmetic is Float32
/// with SIMD exp on the [N, M] cost matrix (held in memory), potentials in Double; the plan's relative
/// precision is about 1e-7/ε.
public enum EntropicTransport {
    public struct Options: Sendable {
        /// ε, the entropic regularization, in cost units.
        public var epsilon: Double
        public var maxIterations: Int
        /// Stop when the L1 row-marginal error of the plan is below this (the plan sums to 1). Float32
        /// rounding keeps the error above ~1e-7, so smaller tolerances are not reached (a level that stops
        /// improving for 100 iterations ends there, unconverged).
        public var tolerance: Double
        /// Anneal ε from half the cost spread down to `epsilon` (halving), warm-starting each level: the
        /// same fixed point, reached in far fewer iterations when ε is small.
        public var epsilonScaling: Bool

        public init(epsilon: Double = 0.01, maxIterations: Int = 10_000, tolerance: Double = 1e-5,
                    epsilonScaling: Bool = true) {
            self.epsilon = epsilon; self.maxIterations = maxIterations; self.tolerance = tolerance
            self.epsilonScaling = epsilonScaling
        }
    }

    public struct Solution: Sendable {
        /// Tᵢⱼ, [N, M]; it sums to 1.
        public var plan: Tensor
        /// Row potentials f (N) and column potentials g (M), in cost units.
        public var f: [Double]
        public var g: [Double]
        /// Completed iterations (one f-step and one g-step each), over all ε levels.
        public var iterations: Int
        /// L1 row-marginal error of `plan` (its column sums are exact up to rounding).
        public var marginalError: Double
        /// ⟨T, C⟩, the transport cost without the entropy term (POT's `sinkhorn2` value).
        public var cost: Double
        public var converged: Bool

        /// x′ᵢ = (Σⱼ Tᵢⱼ yⱼ) / (Σⱼ Tᵢⱼ): [N, D].
        public func barycentricProjection(target: Tensor) -> Tensor {
            projectRows(plan: plan, target: target, divideByRowMass: true)
        }
    }

    /// `source` [N, D] and `target` [M, D] (normally unit-norm rows).
    public static func solve(source: Tensor, target: Tensor, cost: TransportCost = .euclidean,
                             options: Options = .init()) throws -> Solution {
        let eps = options.epsilon
        guard eps > 0, eps.isFinite else {
            throw GapError.invalidParameter(name: "epsilon", value: "\(eps)", reason: "must be positive")
        }
        guard options.maxIterations >= 1 else {
            throw GapError.invalidParameter(name: "maxIterations", value: "\(options.maxIterations)", reason: "must be at least 1")
        }
        let n = source.shape[0], m = target.shape[0]
        guard n >= 1, m >= 1 else {
            throw GapError.tooFewRows(file: n < 1 ? "image cloud" : "text cloud", rows: min(n, m), needed: 1, purpose: "Sinkhorn")
        }
        try cost.checkDefined(source, target)
        let costs = cost.matrix(source, target)
        return try withExtendedLifetime(costs) {
            try iterate(costs.data, n: n, m: m, options: options)
        }
    }

    private static func iterate(_ c: UnsafePointer<Float>, n: Int, m: Int,
                                options: Options) throws -> Solution {
        let target = options.epsilon
        let logA = -Foundation.log(Double(n)), logB = -Foundation.log(Double(m))
        var f = [Double](repeating: 0, count: n), g = [Double](repeating: 0, count: m)
        var newF = [Double](repeating: 0, count: n)
        var g32 = [Float](repeating: 0, count: m), f32 = [Float](repeating: 0, count: n)
        var colMax = [Float](repeating: 0, count: m), colSum = [Double](repeating: 0, count: m)
        var iterations = 0, error = Double.infinity, converged = false

        // ε-scaling: start at half the cost spread (where Sinkhorn converges in a few iterations) and halve
        // down to the target, each level warm-started by the previous one's potentials; at most half of
        // the iteration budget goes to the coarse levels, so the last level always runs at the target ε.
        var lo = Float.infinity, hi = -Float.infinity
        for k in 0..<(n * m) { lo = min(lo, c[k]); hi = max(hi, c[k]) }
        var eps = options.epsilonScaling ? max(target, 0.5 * Double(hi - lo)) : target
        let coarseBudget = options.maxIterations / 2
        while true {
            let final = eps <= target
            if final { eps = target }
            let limit = final ? options.maxIterations - iterations : min(200, coarseBudget - iterations)
            let levelTolerance = final ? options.tolerance : max(10 * options.tolerance, 1e-4)
            let invEps = Float(1 / eps)
            if final { error = .infinity }
            var t = 0, best = Double.infinity, sinceBest = 0
            while t < limit {
                t += 1
                // f-step: rows of C are contiguous
                for j in 0..<m { g32[j] = Float(g[j]) }
                g32.withUnsafeBufferPointer { gp in
                    newF.withUnsafeMutableBufferPointer { out in
                        Parallel.forEachChunk(n, costPerItem: m) { rows in
                            for i in rows {
                                let lse = rowLogSumExp(c + i * m, gp.baseAddress!, m, invEps)
                                out[i] = eps * logA - eps * lse
                            }
                        }
                    }
                }
                // the row error of the plan (f, g) at this ε; g must come from this ε too, so not on a
                // level's first step
                if t > 1 {
                    var e = 0.0
                    for i in 0..<n { e += abs(Foundation.exp(logA + (f[i] - newF[i]) / eps) - Foundation.exp(logA)) }
                    if !e.isFinite { throw GapError.sinkhornDiverged(epsilon: eps, iteration: iterations + 1) }
                    error = e
                    if e < levelTolerance {
                        converged = final
                        break
                    }
                    // Float32 rounding puts a floor under the error (~1e-7); stop a level that has made no
                    // progress for 100 iterations instead of spinning to the limit
                    if e < 0.999 * best { best = e; sinceBest = 0 } else { sinceBest += 1 }
                    if sinceBest >= 100 { break }
                }
                f = newF
                // g-step: column log-sum-exp by scanning rows, split by columns across cores
                for i in 0..<n { f32[i] = Float(f[i]) }
                f32.withUnsafeBufferPointer { fp in
                    colMax.withUnsafeMutableBufferPointer { mx in
                        colSum.withUnsafeMutableBufferPointer { sm in
                            columnLogSumExp(c, fp.baseAddress!, n, m, invEps, mx.baseAddress!, sm.baseAddress!)
                        }
                    }
                }
                for j in 0..<m {
                    let lse = Double(colMax[j]) / eps + Foundation.log(colSum[j])
                    g[j] = eps * logB - eps * lse
                    if !g[j].isFinite { throw GapError.sinkhornDiverged(epsilon: eps, iteration: iterations + 1) }
                }
                iterations += 1
            }
            if final { break }
            eps = max(target, eps / 2)
        }
        let invEps = Float(1 / target)

        // the plan of (f, g), and ⟨T, C⟩
        var plan = Tensor(uninitialized: [n, m])
        let p = plan.mutableData
        for j in 0..<m { g32[j] = Float(g[j]) }
        var rowCosts = [Double](repeating: 0, count: n)
        g32.withUnsafeBufferPointer { gp in
            rowCosts.withUnsafeMutableBufferPointer { rc in
                Parallel.forEachChunk(n, costPerItem: m) { rows in
                    for i in rows {
                        let fi = Float(f[i]), crow = c + i * m, prow = p + i * m
                        var s = 0.0
                        var j = 0
                        while j + 8 <= m {
                            let cv = V8(UnsafeBufferPointer(start: crow + j, count: 8))
                            let gv = V8(UnsafeBufferPointer(start: gp.baseAddress! + j, count: 8))
                            let e = simdExp((fi + gv - cv) * invEps)
                            for l in 0..<8 { prow[j + l] = e[l]; s += Double(e[l]) * Double(cv[l]) }
                            j += 8
                        }
                        while j < m {
                            let e = Foundation.exp((fi + gp[j] - crow[j]) * invEps)
                            prow[j] = e; s += Double(e) * Double(crow[j]); j += 1
                        }
                        rc[i] = s
                    }
                }
            }
        }
        let total = rowCosts.reduce(0, +)
        if !converged {
            // stopped by the iteration limit: measure the returned plan's row error directly
            var e = 0.0
            for i in 0..<n {
                var r = 0.0
                for j in 0..<m { r += Double(p[i * m + j]) }
                e += abs(r - 1 / Double(n))
            }
            error = e
        }
        return Solution(plan: plan, f: f, g: g, iterations: iterations, marginalError: error, cost: total,
                        converged: converged)
    }

    /// max-stabilized log Σⱼ exp((gⱼ − cⱼ)/ε) over one row, Float32 SIMD with Double partial sums.
    @inline(__always)
    static func rowLogSumExp(_ c: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ m: Int, _ invEps: Float) -> Double {
        var mx8 = V8(repeating: -.infinity)
        var j = 0
        while j + 8 <= m {
            let z = load(g + j) - load(c + j)
            mx8.replace(with: z, where: z .> mx8)
            j += 8
        }
        var mx = mx8.max()
        while j < m { mx = max(mx, g[j] - c[j]); j += 1 }
        let shift = V8(repeating: mx)
        var total = 0.0, acc = V8()
        j = 0
        var lanes = 0
        while j + 8 <= m {
            acc += simdExp((load(g + j) - load(c + j) - shift) * invEps)
            j += 8; lanes += 1
            if lanes == 32 { total += Double(acc.sum()); acc = V8(); lanes = 0 }
        }
        total += Double(acc.sum())
        while j < m { total += Double(Foundation.exp((g[j] - c[j] - mx) * invEps)); j += 1 }
        return Double(mx) * Double(invEps) + Foundation.log(total)
    }

    /// For every column j: mx[j] = maxᵢ (fᵢ − Cᵢⱼ) and sm[j] = Σᵢ exp((fᵢ − Cᵢⱼ − mx[j])/ε), scanning the
    /// row-major C row by row; columns are split across cores.
    static func columnLogSumExp(_ c: UnsafePointer<Float>, _ f: UnsafePointer<Float>, _ n: Int, _ m: Int,
                                _ invEps: Float, _ mx: UnsafeMutablePointer<Float>, _ sm: UnsafeMutablePointer<Double>) {
        let chunks = max(1, min(Parallel.workers, m / 64))
        Parallel.forEachChunk(chunks, costPerItem: 1 << 20) { parts in
            for part in parts {
                let lo = m * part / chunks, hi = m * (part + 1) / chunks
                for j in lo..<hi { mx[j] = -.infinity }
                for i in 0..<n {
                    let fi = f[i], row = c + i * m
                    for j in lo..<hi { mx[j] = max(mx[j], fi - row[j]) }
                }
                // Float partial sums per block of rows, flushed to Double
                let width = hi - lo
                var partial = [Float](repeating: 0, count: width)
                for j in lo..<hi { sm[j] = 0 }
                partial.withUnsafeMutableBufferPointer { acc in
                    let a = acc.baseAddress!
                    var rowsInBlock = 0
                    for i in 0..<n {
                        let fi = V8(repeating: f[i]), row = c + i * m + lo
                        let mxp = mx + lo
                        var k = 0
                        while k + 8 <= width {
                            let e = simdExp((fi - load(row + k) - load(mxp + k)) * invEps)
                            store(load(a + k) + e, a + k)
                            k += 8
                        }
                        while k < width { a[k] += Foundation.exp((f[i] - row[k] - mxp[k]) * invEps); k += 1 }
                        rowsInBlock += 1
                        if rowsInBlock == 64 || i == n - 1 {
                            for k in 0..<width { sm[lo + k] += Double(a[k]); a[k] = 0 }
                            rowsInBlock = 0
                        }
                    }
                }
            }
        }
    }
}

@inline(__always) func load(_ p: UnsafePointer<Float>) -> V8 {
    UnsafeRawPointer(p).loadUnaligned(as: V8.self)
}
@inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> V8 {
    UnsafeRawPointer(p).loadUnaligned(as: V8.self)
}
@inline(__always) func store(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
}

/// Σⱼ Tᵢⱼ yⱼ for every row i (one GEMM), optionally divided by the row mass Σⱼ Tᵢⱼ: [N, D].
func projectRows(plan: Tensor, target: Tensor, divideByRowMass: Bool) -> Tensor {
    let n = plan.shape[0], m = plan.shape[1], d = target.shape[1]
    var out = Tensor(uninitialized: [n, d])
    let o = out.mutableData
    gemm(m: n, n: d, k: m, a: plan.data, lda: m, b: target.data, ldb: d, c: o, ldc: d)
    if divideByRowMass {
        let p = plan.data
        for i in 0..<n {
            var s = 0.0
            for j in 0..<m { s += Double(p[i * m + j]) }
            guard s > 0 else { continue }
            let inv = Float(1 / s)
            for k in 0..<d { o[i * d + k] *= inv }
        }
    }
    return out
}
