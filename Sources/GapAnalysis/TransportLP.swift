import CGLPK
import Foundation

/// GLPK keeps its environment per thread, and its error hook aborts the process; every call into GLPK
/// goes through this lock so that parallel callers (the test runner, a script's task group) never
/// interleave inside the library.
private let glpkLock = NSLock()

/// The transportation LP over a subset of the pairs (the candidate columns), solved by GLPK's simplex:
///
///     min Σ cᵢⱼ xᵢⱼ   s.t.   Σⱼ xᵢⱼ = α (every source row i),   Σᵢ xᵢⱼ = β (every target row j),   x ≥ 0,
///
/// with integer masses α = M/g, β = N/g (g = gcd(N, M)), so the plan is T = x / (N·α): uniform weights
/// 1/N and 1/M without tiny right-hand sides. Rows 1...N are the sources, N+1...N+M the targets.
/// Columns can be added between solves; the previous basis stays valid (new columns enter non-basic at
/// 0), so each re-solve is a warm start of the primal simplex.
final class TransportLP {
    let n: Int, m: Int
    let sourceMass: Double, targetMass: Double
    private let lp: OpaquePointer
    private(set) var columns = 0
    private(set) var simplexIterations = 0

    init(n: Int, m: Int) {
        self.n = n; self.m = m
        let g = gcd(n, m)
        sourceMass = Double(m / g); targetMass = Double(n / g)
        glpkLock.lock(); defer { glpkLock.unlock() }
        glp_term_out(GLP_OFF)
        lp = glp_create_prob()
        glp_set_obj_dir(lp, GLP_MIN)
        glp_add_rows(lp, Int32(n + m))
        for r in 1...n { glp_set_row_bnds(lp, Int32(r), GLP_FX, sourceMass, sourceMass) }
        for r in (n + 1)...(n + m) { glp_set_row_bnds(lp, Int32(r), GLP_FX, targetMass, targetMass) }
    }

    deinit {
        glpkLock.lock(); defer { glpkLock.unlock() }
        glp_delete_prob(lp)
    }

    /// Total mass N·α = M·β.
    var totalMass: Double { Double(n) * sourceMass }

    /// Appends columns for the pairs (sources[k], targets[k]) with costs[k]; returns the first new
    /// column's 1-based index.
    @discardableResult
    func addColumns(sources: ArraySlice<Int32>, targets: ArraySlice<Int32>, costs: ArraySlice<Double>) -> Int {
        let count = sources.count
        let first = columns + 1
        guard count > 0 else { return first }
        glpkLock.lock(); defer { glpkLock.unlock() }
        glp_add_cols(lp, Int32(count))
        var ind: [Int32] = [0, 0, 0]
        var val: [Double] = [0, 1, 1]
        for k in 0..<count {
            let col = Int32(first + k)
            ind[1] = sources[sources.startIndex + k] + 1
            ind[2] = Int32(n) + targets[targets.startIndex + k] + 1
            glp_set_mat_col(lp, col, 2, &ind, &val)
            glp_set_col_bnds(lp, col, GLP_LO, 0, 0)
            glp_set_obj_coef(lp, col, costs[costs.startIndex + k])
        }
        columns += count
        return first
    }

    /// Installs a starting basis: the given columns (1-based) basic, every other column non-basic at 0,
    /// and the last row's auxiliary variable basic (the N + M equalities have rank N + M − 1). `basic`
    /// must be a spanning tree of the bipartite graph (N + M − 1 columns). Falls back to GLPK's crash
    /// basis when the factorization fails. Returns whether the given basis was accepted.
    @discardableResult
    func setBasis(basicColumns: [Int]) -> Bool {
        glpkLock.lock(); defer { glpkLock.unlock() }
        for r in 1...(n + m) { glp_set_row_stat(lp, Int32(r), GLP_NS) }
        glp_set_row_stat(lp, Int32(n + m), GLP_BS)
        for c in stride(from: 1, through: columns, by: 1) { glp_set_col_stat(lp, Int32(c), GLP_NL) }
        for c in basicColumns { glp_set_col_stat(lp, Int32(c), GLP_BS) }
        if glp_warm_up(lp) == 0 { return true }
        glp_adv_basis(lp, 0)
        return false
    }

    /// Solves from the current basis with the primal simplex. Throws unless GLPK reports an optimum.
    func solve(dualTolerance: Double) throws {
        glpkLock.lock(); defer { glpkLock.unlock() }
        glp_term_out(GLP_OFF)
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.meth = GLP_PRIMAL
        parm.presolve = GLP_OFF
        parm.tol_dj = dualTolerance
        var code = glp_simplex(lp, &parm)
        if code == GLP_EBADB || code == GLP_ESING || code == GLP_ECOND {
            // the basis went bad numerically: restart from GLPK's crash basis once
            glp_adv_basis(lp, 0)
            code = glp_simplex(lp, &parm)
        }
        simplexIterations = Int(glp_get_it_cnt(lp))
        guard code == 0 else { throw GapError.solver(reason: "simplex stopped with code \(code) (\(Self.describe(code)))") }
        let status = glp_get_status(lp)
        guard status == GLP_OPT else {
            throw GapError.solver(reason: "the transportation LP ended with status \(status), not optimal")
        }
    }

    /// Row duals: u (N, sources) and v (M, targets), in cost units.
    func duals() -> (u: [Double], v: [Double]) {
        glpkLock.lock(); defer { glpkLock.unlock() }
        let u = (0..<n).map { glp_get_row_dual(lp, Int32($0 + 1)) }
        let v = (0..<m).map { glp_get_row_dual(lp, Int32(n + $0 + 1)) }
        return (u, v)
    }

    /// Column values x (in LP mass units), indexed from 0 for column 1.
    func primal() -> [Double] {
        glpkLock.lock(); defer { glpkLock.unlock() }
        return (0..<columns).map { glp_get_col_prim(lp, Int32($0 + 1)) }
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case GLP_EBADB: return "invalid basis"
        case GLP_ESING: return "singular basis matrix"
        case GLP_ECOND: return "ill-conditioned basis matrix"
        case GLP_EBOUND: return "incorrect bounds"
        case GLP_EFAIL: return "solver failure"
        case GLP_EITLIM: return "iteration limit"
        case GLP_ETMLIM: return "time limit"
        default: return "unknown"
        }
    }
}

func gcd(_ a: Int, _ b: Int) -> Int {
    var a = a, b = b
    while b != 0 { (a, b) = (b, a % b) }
    return a
}
