import Foundation
import Tensor

/// Exact discrete optimal transport between two uniform clouds (DESIGN.md §6), solved through GLPK,
/// with a certificate of optimality for the full problem.
///
/// The problem is min Σ Tᵢⱼ cᵢⱼ over plans with row sums 1/N and column sums 1/M (N ≠ M allowed: the
/// masses are fractional, scaled to the integers M/g and N/g inside the LP). A dense LP has N·M columns
/// (4M at N = 2,000), so the solver works on a sparse candidate set and proves that the rest cannot help:
///
/// 1. Candidates: the north-west-corner staircase (always feasible, so every restricted LP is), the k
///    nearest targets of each source and the k nearest sources of each target.
/// 2. Warm start (optional, on by default): log-domain Sinkhorn restricted to the candidates, with
///    ε-scaling, gives approximate duals (f, g); the pairs of smallest reduced cost c − f − g per row and
///    per column are added; a greedy rounding in reduced-cost order gives a spanning-tree basis for
///    GLPK. This only shortens the simplex; it decides nothing.
/// 3. Column generation: GLPK's primal simplex solves the restricted LP; its row duals (u, v) price
///    every one of the N·M pairs, cᵢⱼ − uᵢ − vⱼ; pairs below −tolerance are added (the most negative
///    few per row) and the LP is re-solved from its previous basis; until no pair violates.
///
/// Pricing screens the Float32 cost matrix (one GEMM, ‖x‖² + ‖y‖² − 2·X·Yᵀ) and recomputes in Double
/// every pair whose screened reduced cost is within the Float32 error bound of the threshold, so the
/// check is exact. The final plan's certificate: the least reduced cost over all pairs and the duality
/// gap Σ T c − (Σ uᵢ/N + Σ vⱼ/M). By weak duality the plan's cost exceeds the optimum by at most
/// max(0, gap) + max(0, −least reduced cost).
///
/// Costs in the LP are exact (Double, from the Float32 rows), so the optimal cost matches POT's
/// `ot.emd` on the same Float32 data to rounding.
public enum ExactTransport {
    public struct Options: Sendable {
        /// k: nearest targets per source and nearest sources per target in the first candidate set.
        public var neighbours: Int
        /// Pairs of least reduced cost added per row and per column after the warm start.
        public var refreshNeighbours: Int
        /// Most-negative violators added per source row and round.
        public var additionsPerRow: Int
        public var maxRounds: Int
        /// Relative to the largest candidate cost: reduced costs must be ≥ −tolerance·scale.
        public var tolerance: Double
        /// Use the Sinkhorn warm start (step 2); without it GLPK starts from its crash basis.
        public var warmStart: Bool
        /// Solve one LP over all N·M pairs instead (a reference for small problems; slow beyond a few
        /// hundred points).
        public var dense: Bool

        public init(neighbours: Int = 5, refreshNeighbours: Int = 5, additionsPerRow: Int = 5, maxRounds: Int = 1000,
                    tolerance: Double = 1e-9, warmStart: Bool = true, dense: Bool = false) {
            self.neighbours = neighbours; self.refreshNeighbours = refreshNeighbours
            self.additionsPerRow = additionsPerRow; self.maxRounds = maxRounds
            self.tolerance = tolerance; self.warmStart = warmStart; self.dense = dense
        }
    }

    /// Reported after each LP solve.
    public struct Progress: Sendable {
        public var round: Int
        /// Columns in the LP when it was solved.
        public var candidates: Int
        /// Violating pairs found by pricing (all of them, not only those added).
        public var violations: Int
        /// The restricted LP's optimal cost (mass 1).
        public var cost: Double
        public var minimumReducedCost: Double
        public var seconds: Double
    }

    /// Evidence that a plan is optimal for the full N×M problem.
    public struct Certificate: Sendable, Equatable {
        /// minᵢⱼ (cᵢⱼ − uᵢ − vⱼ) over all N·M pairs (exact costs), with GLPK's duals.
        public var minimumReducedCost: Double
        /// The plan's cost Σ Tᵢⱼ cᵢⱼ.
        public var primalCost: Double
        /// Σ uᵢ/N + Σ vⱼ/M.
        public var dualObjective: Double
        /// Pairs whose Float32 screen was inconclusive and were priced in Double.
        public var pairsRecomputed: Int
        /// The absolute tolerance used (Options.tolerance × the cost scale).
        public var tolerance: Double

        public var dualityGap: Double { primalCost - dualObjective }
        /// Upper bound on (plan cost − optimal cost), by weak duality.
        public var optimalityBound: Double { max(0, dualityGap) + max(0, -minimumReducedCost) }
        public var isOptimal: Bool { minimumReducedCost >= -tolerance && abs(dualityGap) <= tolerance }
    }

    public struct Solution: Sendable {
        public var sourceCount: Int
        public var targetCount: Int
        /// The plan's non-zero entries: Tᵢⱼ = masses[k] at (sources[k], targets[k]); masses sum to 1.
        public var sources: [Int32]
        public var targets: [Int32]
        public var masses: [Double]
        /// Σ Tᵢⱼ cᵢⱼ.
        public var cost: Double
        public var sourceDuals: [Double]
        public var targetDuals: [Double]
        /// LP solves (1 for a dense solve).
        public var rounds: Int
        /// Columns in the final LP.
        public var candidates: Int
        public var simplexIterations: Int
        /// Whether GLPK accepted the warm-start basis.
        public var warmStartUsed: Bool
        public var certificate: Certificate

        /// The plan as a dense [N, M] tensor.
        public func densePlan() -> Tensor {
            var t = Tensor(zeros: [sourceCount, targetCount])
            let p = t.mutableData
            for k in masses.indices { p[Int(sources[k]) * targetCount + Int(targets[k])] += Float(masses[k]) }
            return t
        }

        /// x′ᵢ = (Σⱼ Tᵢⱼ yⱼ) / (Σⱼ Tᵢⱼ): each source row moved to the mean of the targets it is sent to.
        public func barycentricProjection(target: Tensor) -> Tensor { project(target, normalize: true) }

        /// Σⱼ Tᵢⱼ yⱼ without the division: the paper's "T*·X". With uniform weights every row mass is
        /// 1/N, so this is the barycentric projection scaled by 1/N; its rows have norm ≈ 1/N (≈ 0.0005
        /// at N = 2,000), which a decoder that does not renormalize reads as an almost-zero prefix.
        public func unnormalizedProjection(target: Tensor) -> Tensor { project(target, normalize: false) }

        private func project(_ target: Tensor, normalize: Bool) -> Tensor {
            let d = target.shape[1]
            var acc = [Double](repeating: 0, count: sourceCount * d)
            var rowMass = [Double](repeating: 0, count: sourceCount)
            let y = target.data
            for k in masses.indices {
                let i = Int(sources[k]), j = Int(targets[k]), w = masses[k]
                rowMass[i] += w
                for c in 0..<d { acc[i * d + c] += w * Double(y[j * d + c]) }
            }
            var out = Tensor(uninitialized: [sourceCount, d])
            let o = out.mutableData
            for i in 0..<sourceCount {
                let scale = normalize && rowMass[i] > 0 ? 1 / rowMass[i] : 1
                for c in 0..<d { o[i * d + c] = Float(acc[i * d + c] * scale) }
            }
            return out
        }
    }

    /// Solves OT from `source` [N, D] to `target` [M, D] (normally unit-norm rows). `progress` is called
    /// after every LP solve.
    public static func solve(source: Tensor, target: Tensor, cost: TransportCost = .euclidean,
                             options: Options = .init(), progress: ((Progress) -> Void)? = nil) throws -> Solution {
        let n = source.shape[0], m = target.shape[0]
        guard n >= 1 else { throw GapError.tooFewRows(file: "image cloud", rows: n, needed: 1, purpose: "optimal transport") }
        guard m >= 1 else { throw GapError.tooFewRows(file: "text cloud", rows: m, needed: 1, purpose: "optimal transport") }
        guard options.neighbours >= 1, options.additionsPerRow >= 1, options.maxRounds >= 1,
              options.tolerance >= 0 else {
            throw GapError.invalidParameter(name: "ExactTransport.Options", value: "\(options)",
                                            reason: "neighbours, additionsPerRow and maxRounds must be positive, tolerance non-negative")
        }
        try cost.checkDefined(source, target)
        let start = Stopwatch.now()
        let grid = CostGrid(x: source, y: target, cost: cost)
        let blocks = CostBlocks(grid: grid)
        let lp = TransportLP(n: n, m: m)
        var candidates = CandidateSet(n: n, m: m)
        let nw = TransportWarmStart.northWestCorner(n: n, m: m, alpha: lp.sourceMass, beta: lp.targetMass)
        for (i, j) in nw { candidates.insert(i, j, cost: grid.exact(i, j)) }

        var warmStartUsed = false
        if options.dense {
            for i in 0..<n { for j in 0..<m { candidates.insert(i, j, cost: grid.exact(i, j)) } }
            lp.addColumns(sources: candidates.sources[...], targets: candidates.targets[...], costs: candidates.costs[...])
        } else {
            addNearest(blocks, k: options.neighbours, to: &candidates)
            var tree: [Int] = []
            if options.warmStart {
                tree = warmStart(blocks, options: options, candidates: &candidates, alpha: lp.sourceMass, beta: lp.targetMass)
            }
            lp.addColumns(sources: candidates.sources[...], targets: candidates.targets[...], costs: candidates.costs[...])
            if !tree.isEmpty { warmStartUsed = lp.setBasis(basicColumns: tree.map { $0 + 1 }) }
        }

        let scale = max(candidates.costs.lazy.map(abs).max() ?? 1, .leastNormalMagnitude)
        let tol = options.tolerance * scale
        var round = 0
        var scan = PricingResult(violators: [], violations: 0, minimumReducedCost: 0, recomputed: 0)
        var duals: (u: [Double], v: [Double]) = ([], [])
        while true {
            round += 1
            try lp.solve(dualTolerance: max(1e-12, min(1e-7, tol / 10)))
            duals = lp.duals()
            scan = price(blocks, u: duals.u, v: duals.v, candidates: candidates, tolerance: tol,
                         perRow: options.additionsPerRow)
            let x = lp.primal()
            var lpCost = 0.0
            for k in x.indices where x[k] > 0 { lpCost += x[k] * candidates.costs[k] }
            progress?(Progress(round: round, candidates: candidates.count, violations: scan.violations,
                               cost: lpCost / lp.totalMass, minimumReducedCost: scan.minimumReducedCost,
                               seconds: Stopwatch.now() - start))
            if scan.violators.isEmpty || round >= options.maxRounds { break }
            let first = candidates.count
            for v in scan.violators { candidates.insert(v.i, v.j, cost: v.cost) }
            lp.addColumns(sources: candidates.sources[first...], targets: candidates.targets[first...],
                          costs: candidates.costs[first...])
        }

        // the plan: columns with positive flow (GLPK's degenerate basics carry exact zeros or ~1e-15)
        let x = lp.primal()
        var sources: [Int32] = [], targets: [Int32] = [], masses: [Double] = []
        var total = 0.0
        let floor = 1e-12 * max(lp.sourceMass, lp.targetMass)
        for k in x.indices where x[k] > floor {
            sources.append(candidates.sources[k]); targets.append(candidates.targets[k])
            masses.append(x[k] / lp.totalMass)
            total += x[k] / lp.totalMass * candidates.costs[k]
        }
        let dual = duals.u.reduce(0, +) / Double(n) + duals.v.reduce(0, +) / Double(m)
        let certificate = Certificate(minimumReducedCost: scan.minimumReducedCost, primalCost: total, dualObjective: dual,
                                      pairsRecomputed: scan.recomputed, tolerance: tol)
        return Solution(sourceCount: n, targetCount: m, sources: sources, targets: targets, masses: masses, cost: total,
                        sourceDuals: duals.u, targetDuals: duals.v, rounds: round, candidates: candidates.count,
                        simplexIterations: lp.simplexIterations, warmStartUsed: warmStartUsed, certificate: certificate)
    }

    /// Adds the k nearest targets of every source and the k nearest sources of every target.
    static func addNearest(_ blocks: CostBlocks, k: Int, to candidates: inout CandidateSet) {
        let n = blocks.grid.n, m = blocks.grid.m
        let byRow = SmallestK(slots: n, k: min(k, m)), byColumn = SmallestK(slots: m, k: min(k, n))
        blocks.forEachBlock { rows, costs in
            Parallel.forEachChunk(rows.count, costPerItem: m) { chunk in
                for r in chunk {
                    let row = costs + r * m
                    for j in 0..<m { byRow.insert(slot: rows.lowerBound + r, value: row[j], index: Int32(j)) }
                }
            }
            for r in 0..<rows.count {
                let row = costs + r * m
                for j in 0..<m { byColumn.insert(slot: j, value: row[j], index: Int32(rows.lowerBound + r)) }
            }
        }
        let grid = blocks.grid
        for i in 0..<n { for e in byRow.entries(i) { candidates.insert(i, e.index, cost: grid.exact(i, e.index)) } }
        for j in 0..<m { for e in byColumn.entries(j) { candidates.insert(e.index, j, cost: grid.exact(e.index, j)) } }
    }

    /// Step 2: ε-scaled Sinkhorn on the candidates, a refresh of the candidates by reduced cost, a second
    /// Sinkhorn pass at small ε, then the rounded spanning-tree basis (candidate positions).
    static func warmStart(_ blocks: CostBlocks, options: Options, candidates: inout CandidateSet,
                          alpha: Double, beta: Double) -> [Int] {
        let n = blocks.grid.n, m = blocks.grid.m
        let lo = candidates.costs.min() ?? 0, hi = candidates.costs.max() ?? 1
        let spread = hi - lo > 0 ? hi - lo : 1
        var f = [Double](repeating: 0, count: n), g = [Double](repeating: 0, count: m)
        TransportWarmStart.sparseSinkhorn(candidates, f: &f, g: &g, from: 0.05 * spread, to: 4e-4 * spread,
                                          iterationsPerLevel: 25)
        if options.refreshNeighbours > 0 {
            let r = options.refreshNeighbours
            let byRow = SmallestK(slots: n, k: min(r, m)), byColumn = SmallestK(slots: m, k: min(r, n))
            let g32 = g.map(Float.init), f32 = f.map(Float.init)
            let current = candidates
            blocks.forEachBlock { rows, costs in
                Parallel.forEachChunk(rows.count, costPerItem: m) { chunk in
                    for rr in chunk {
                        let i = rows.lowerBound + rr, row = costs + rr * m, fi = f32[i]
                        for j in 0..<m where !current.contains(i, j) {
                            byRow.insert(slot: i, value: row[j] - fi - g32[j], index: Int32(j))
                        }
                    }
                }
                for rr in 0..<rows.count {
                    let i = rows.lowerBound + rr, row = costs + rr * m, fi = f32[i]
                    for j in 0..<m where !current.contains(i, j) {
                        byColumn.insert(slot: j, value: row[j] - fi - g32[j], index: Int32(i))
                    }
                }
            }
            let threshold = Float(0.02 * spread)
            let grid = blocks.grid
            for i in 0..<n { for e in byRow.entries(i) where e.value < threshold { candidates.insert(i, e.index, cost: grid.exact(i, e.index)) } }
            for j in 0..<m { for e in byColumn.entries(j) where e.value < threshold { candidates.insert(e.index, j, cost: grid.exact(e.index, j)) } }
            TransportWarmStart.sparseSinkhorn(candidates, f: &f, g: &g, from: 3e-3 * spread, to: 1e-4 * spread,
                                              iterationsPerLevel: 25)
        }
        return TransportWarmStart.spanningTreeBasis(candidates, f: f, g: g, alpha: alpha, beta: beta)
    }

    struct Violator { var i: Int; var j: Int; var cost: Double; var reduced: Double }

    struct PricingResult {
        var violators: [Violator]
        var violations: Int
        var minimumReducedCost: Double
        var recomputed: Int
    }

    /// Prices every pair: cᵢⱼ − uᵢ − vⱼ on the Float32 screen, recomputed exactly where the screen is
    /// within its error bound of −tolerance. Returns the `perRow` most negative non-candidate violators of
    /// each row, the count of all violators, the least exact reduced cost seen (pairs never recomputed
    /// have reduced cost > 0 with certainty), and how many pairs were recomputed.
    static func price(_ blocks: CostBlocks, u: [Double], v: [Double], candidates: CandidateSet, tolerance: Double,
                      perRow: Int) -> PricingResult {
        let n = blocks.grid.n, m = blocks.grid.m
        let grid = blocks.grid
        let v32 = v.map(Float.init)
        let vMagnitude = Float(v.lazy.map(abs).max() ?? 0)
        // per-row results, written by one thread each
        var kept = [[Violator]](repeating: [], count: n)
        var rowMin = [Double](repeating: .infinity, count: n)
        var rowViolations = [Int](repeating: 0, count: n), rowRecomputed = [Int](repeating: 0, count: n)
        kept.withUnsafeMutableBufferPointer { keptP in
            rowMin.withUnsafeMutableBufferPointer { minP in
                rowViolations.withUnsafeMutableBufferPointer { violP in
                    rowRecomputed.withUnsafeMutableBufferPointer { recP in
                        blocks.forEachBlock { rows, costs in
                            Parallel.forEachChunk(rows.count, costPerItem: m) { chunk in
                                for rr in chunk {
                                    let i = rows.lowerBound + rr, row = costs + rr * m
                                    let ui = Float(u[i])
                                    // the screen's own rounding: u, v and the subtraction, a few ulp of
                                    // the magnitudes involved
                                    let slack = 4e-7 * (abs(ui) + vMagnitude + 4)
                                    var best: [Violator] = []
                                    var least = Double.infinity, violations = 0, recomputed = 0
                                    for j in 0..<m {
                                        let screened = row[j] - ui - v32[j]
                                        if screened > slack + Float(grid.errorBound(row: i, column: j, value: row[j])) {
                                            continue
                                        }
                                        recomputed += 1
                                        let exact = grid.exact(i, j)
                                        let reduced = exact - u[i] - v[j]
                                        least = min(least, reduced)
                                        guard reduced < -tolerance else { continue }
                                        violations += 1
                                        guard !candidates.contains(i, j) else { continue }
                                        let candidate = Violator(i: i, j: j, cost: exact, reduced: reduced)
                                        if best.count < perRow {
                                            best.append(candidate)
                                        } else if let w = best.indices.max(by: { best[$0].reduced < best[$1].reduced }),
                                                  reduced < best[w].reduced {
                                            best[w] = candidate
                                        }
                                    }
                                    keptP[i] = best; minP[i] = least; violP[i] = violations; recP[i] = recomputed
                                }
                            }
                        }
                    }
                }
            }
        }
        return PricingResult(violators: kept.flatMap { $0 }, violations: rowViolations.reduce(0, +),
                             minimumReducedCost: rowMin.min() ?? 0, recomputed: rowRecomputed.reduce(0, +))
    }
}
