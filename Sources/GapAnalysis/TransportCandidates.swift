import Foundation
import Tensor

// The sparse side of exact OT: which pairs are columns of the LP, how the first ones are chosen, and the
// warm-start basis. None of this decides optimality (the reduced-cost certificate does); it only makes
// the LP small and its simplex short.

/// The pairs (i, j) that are columns of the LP, with their exact costs, in insertion order.
struct CandidateSet {
    let n: Int, m: Int
    private var bits: [UInt64]
    private(set) var sources: [Int32] = []
    private(set) var targets: [Int32] = []
    private(set) var costs: [Double] = []

    init(n: Int, m: Int) {
        self.n = n; self.m = m
        bits = [UInt64](repeating: 0, count: (n * m + 63) / 64)
    }

    var count: Int { sources.count }

    @inline(__always) func contains(_ i: Int, _ j: Int) -> Bool {
        let k = i * m + j
        return bits[k >> 6] & (1 << UInt64(k & 63)) != 0
    }

    /// Adds (i, j) unless present; returns whether it was added.
    @discardableResult
    mutating func insert(_ i: Int, _ j: Int, cost: Double) -> Bool {
        let k = i * m + j
        let mask: UInt64 = 1 << UInt64(k & 63)
        if bits[k >> 6] & mask != 0 { return false }
        bits[k >> 6] |= mask
        sources.append(Int32(i)); targets.append(Int32(j)); costs.append(cost)
        return true
    }
}

/// For each of `slots` slots, the k smallest (value, index) pairs seen, unordered. Slots may be filled
/// from different threads as long as each slot is touched by one thread.
final class SmallestK {
    let slots: Int, k: Int
    private let values: UnsafeMutablePointer<Float>
    private let indices: UnsafeMutablePointer<Int32>
    private let counts: UnsafeMutablePointer<Int32>
    /// The largest kept value of a full slot (anything not smaller is rejected at once).
    private let worst: UnsafeMutablePointer<Float>

    init(slots: Int, k: Int) {
        self.slots = slots; self.k = max(k, 1)
        values = .allocate(capacity: slots * self.k)
        indices = .allocate(capacity: slots * self.k)
        counts = .allocate(capacity: slots); counts.initialize(repeating: 0, count: slots)
        worst = .allocate(capacity: slots); worst.initialize(repeating: .infinity, count: slots)
    }

    deinit {
        values.deallocate(); indices.deallocate(); counts.deallocate(); worst.deallocate()
    }

    @inline(__always) func insert(slot s: Int, value: Float, index: Int32) {
        if value >= worst[s] { return }
        let base = s * k
        let c = Int(counts[s])
        if c < k {
            values[base + c] = value; indices[base + c] = index
            counts[s] = Int32(c + 1)
            if c + 1 == k { refreshWorst(s) }
            return
        }
        var w = 0
        for q in 1..<k where values[base + q] > values[base + w] { w = q }
        values[base + w] = value; indices[base + w] = index
        refreshWorst(s)
    }

    private func refreshWorst(_ s: Int) {
        let base = s * k
        var w = values[base]
        for q in 1..<k { w = max(w, values[base + q]) }
        worst[s] = w
    }

    /// The kept (value, index) pairs of slot `s`.
    func entries(_ s: Int) -> [(value: Float, index: Int)] {
        (0..<Int(counts[s])).map { (values[s * k + $0], Int(indices[s * k + $0])) }
    }
}

/// Row blocks of the Float32 cost matrix: held whole when it is small enough (≤ 16M entries, 64 MB),
/// otherwise recomputed through GEMM block by block on every scan.
final class CostBlocks {
    let grid: CostGrid
    private var cache: Tensor?
    let blockRows: Int

    init(grid: CostGrid) {
        self.grid = grid
        if grid.n * grid.m <= 1 << 24 {
            var full = Tensor(uninitialized: [grid.n, grid.m])
            grid.fill(rows: 0..<grid.n, into: full.mutableData)
            cache = full
            blockRows = grid.n
        } else {
            cache = nil
            blockRows = max(1, (1 << 22) / max(grid.m, 1))
        }
    }

    /// Calls `body(rows, costs)` for consecutive row blocks; `costs` is [rows.count, M].
    func forEachBlock(_ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        if let cache {
            withExtendedLifetime(cache) { body(0..<grid.n, cache.data) }
            return
        }
        var buffer = Tensor(uninitialized: [blockRows, grid.m])
        let p = buffer.mutableData
        var lo = 0
        while lo < grid.n {
            let hi = min(grid.n, lo + blockRows)
            grid.fill(rows: lo..<hi, into: p)
            body(lo..<hi, UnsafePointer(p))
            lo = hi
        }
        withExtendedLifetime(buffer) {}
    }
}

enum TransportWarmStart {
    /// The north-west-corner plan with integer masses α per row and β per column: a staircase of at
    /// N + M − 1 pairs (a spanning tree) that is always feasible.
    static func northWestCorner(n: Int, m: Int, alpha: Double, beta: Double) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        out.reserveCapacity(n + m)
        var i = 0, j = 0, ra = alpha, rb = beta
        while i < n && j < m {
            out.append((i, j))
            let q = min(ra, rb)
            ra -= q; rb -= q
            // when both run out at once the next pair carries 0 (a degenerate step down), which keeps
            // the staircase connected: it always has exactly N + M − 1 pairs
            if ra == 0 { i += 1; ra = alpha } else { j += 1; rb = beta }
        }
        return out
    }

    /// Log-domain Sinkhorn restricted to the candidate pairs, with ε decreasing geometrically (ε-scaling)
    /// from `from` to `to`: approximate dual potentials (f, g) of the OT problem. Float32 SIMD exps over
    /// each row's and each column's candidates; `iterationsPerLevel` iterations at each ε.
    static func sparseSinkhorn(_ c: CandidateSet, f: inout [Double], g: inout [Double], from: Double, to: Double,
                               iterationsPerLevel: Int) {
        let n = c.n, m = c.m, count = c.count
        // CSR by row and by column
        var rowStart = [Int](repeating: 0, count: n + 1), colStart = [Int](repeating: 0, count: m + 1)
        for k in 0..<count { rowStart[Int(c.sources[k]) + 1] += 1; colStart[Int(c.targets[k]) + 1] += 1 }
        for i in 0..<n { rowStart[i + 1] += rowStart[i] }
        for j in 0..<m { colStart[j + 1] += colStart[j] }
        var rowOther = [Int32](repeating: 0, count: count), rowCost = [Float](repeating: 0, count: count)
        var colOther = [Int32](repeating: 0, count: count), colCost = [Float](repeating: 0, count: count)
        var rowFill = rowStart, colFill = colStart
        for k in 0..<count {
            let i = Int(c.sources[k]), j = Int(c.targets[k])
            rowOther[rowFill[i]] = Int32(j); rowCost[rowFill[i]] = Float(c.costs[k]); rowFill[i] += 1
            colOther[colFill[j]] = Int32(i); colCost[colFill[j]] = Float(c.costs[k]); colFill[j] += 1
        }
        let logA = -Foundation.log(Double(n)), logB = -Foundation.log(Double(m))
        var scratch = [Float](repeating: 0, count: max(n, m) + 8)
        var eps = from
        while true {
            for _ in 0..<iterationsPerLevel {
                update(&f, from: g, start: rowStart, other: rowOther, cost: rowCost, logMass: logA, eps: eps, scratch: &scratch)
                update(&g, from: f, start: colStart, other: colOther, cost: colCost, logMass: logB, eps: eps, scratch: &scratch)
            }
            if eps <= to { break }
            eps = max(to, eps / 2)
        }
    }

    /// pᵣ = ε·log mass − ε·LSE over r's candidates of (qₛ − c)/ε.
    private static func update(_ p: inout [Double], from q: [Double], start: [Int], other: [Int32], cost: [Float],
                               logMass: Double, eps: Double, scratch: inout [Float]) {
        let invEps = Float(1 / eps)
        scratch.withUnsafeMutableBufferPointer { zb in
            let z = zb.baseAddress!
            for r in 0..<p.count {
                let lo = start[r], hi = start[r + 1], len = hi - lo
                guard len > 0 else { continue }
                var mx = -Float.infinity
                for t in 0..<len {
                    let v = Float(q[Int(other[lo + t])]) - cost[lo + t]
                    z[t] = v; mx = max(mx, v)
                }
                var s: Float = 0
                var t = 0
                while t + 8 <= len {
                    s += simdExp((load(z + t) - mx) * invEps).sum()
                    t += 8
                }
                while t < len { s += Foundation.exp((z[t] - mx) * invEps); t += 1 }
                p[r] = eps * logMass - (Double(mx) + eps * Foundation.log(Double(s)))
            }
        }
    }

    /// A spanning-tree basis that is nearly optimal: candidates sorted by reduced cost cᵢⱼ − fᵢ − gⱼ,
    /// assigned greedily (each takes min(remaining row mass, remaining column mass), skipping a pair
    /// that would close a cycle), then completed to N + M − 1 pairs with the cheapest remaining pairs that
    /// join two components. Returns candidate positions (0-based). The greedy flow is a basic solution
    /// of this tree when nothing was skipped; otherwise the simplex starts slightly infeasible.
    static func spanningTreeBasis(_ c: CandidateSet, f: [Double], g: [Double], alpha: Double, beta: Double) -> [Int] {
        let n = c.n, m = c.m
        let reduced = (0..<c.count).map { c.costs[$0] - f[Int(c.sources[$0])] - g[Int(c.targets[$0])] }
        let order = (0..<c.count).sorted { reduced[$0] < reduced[$1] }
        var parent = Array(0..<(n + m))
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var ra = [Double](repeating: alpha, count: n), rb = [Double](repeating: beta, count: m)
        var inTree = [Bool](repeating: false, count: c.count)
        var tree: [Int] = []
        tree.reserveCapacity(n + m - 1)
        for k in order {
            let i = Int(c.sources[k]), j = Int(c.targets[k])
            let q = min(ra[i], rb[j])
            guard q > 0 else { continue }
            let a = find(i), b = find(n + j)
            guard a != b else { continue }
            parent[a] = b
            ra[i] -= q; rb[j] -= q
            inTree[k] = true; tree.append(k)
        }
        for k in order where tree.count < n + m - 1 && !inTree[k] {
            let a = find(Int(c.sources[k])), b = find(n + Int(c.targets[k]))
            guard a != b else { continue }
            parent[a] = b
            inTree[k] = true; tree.append(k)
        }
        return tree
    }
}
