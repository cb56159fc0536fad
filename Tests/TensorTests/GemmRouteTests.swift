import Foundation
import Testing
import Tensor
import TestSupport

/// `gemm` routes M = 1 and N = 1 to sgemv and 2 ≤ M < 16 to the blocked few-rows kernel, and splits large
/// ones over the cores. Each route must equal plain sgemm up to Float32 summation order, and the split
/// must equal the serial call bit for bit.
@Suite struct GemmRouteTests {
    struct Case: CustomStringConvertible, Sendable {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float
        var description: String { "tA=\(transA) tB=\(transB) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta)" }
    }

    /// Shapes of GPT-2 decoding (one token, 5 beams; Conv1D and tied-head layouts), attention with one
    /// query, the column-vector case, ragged sizes that leave tails, and beta ≠ 0.
    static let cases: [Case] = [
        Case(transA: false, transB: false, m: 1, n: 2304, k: 768, alpha: 1, beta: 0),
        Case(transA: false, transB: true, m: 1, n: 5003, k: 768, alpha: 1, beta: 0),
        Case(transA: true, transB: false, m: 1, n: 333, k: 257, alpha: 0.5, beta: 1),
        Case(transA: false, transB: true, m: 1, n: 29, k: 64, alpha: 0.125, beta: 0),
        Case(transA: false, transB: false, m: 1, n: 64, k: 29, alpha: 1, beta: 0),
        Case(transA: false, transB: false, m: 5, n: 3072, k: 768, alpha: 1, beta: 0),
        Case(transA: false, transB: false, m: 5, n: 770, k: 3071, alpha: 1, beta: 1),
        Case(transA: false, transB: true, m: 5, n: 5003, k: 768, alpha: 1, beta: 0),
        Case(transA: false, transB: true, m: 13, n: 1001, k: 100, alpha: 2, beta: -0.5),
        Case(transA: false, transB: false, m: 2, n: 17, k: 33, alpha: 1, beta: 0),
        Case(transA: false, transB: false, m: 7, n: 300, k: 40, alpha: 1, beta: 0),
        Case(transA: true, transB: false, m: 4, n: 300, k: 40, alpha: 1, beta: 0),
        Case(transA: false, transB: false, m: 300, n: 1, k: 257, alpha: 1, beta: 0),
        Case(transA: true, transB: true, m: 300, n: 1, k: 257, alpha: 1, beta: 2),
        Case(transA: false, transB: false, m: 20, n: 500, k: 300, alpha: 1, beta: 0),
    ]

    /// Operands with padded strides (lda, ldb, ldc one wider than needed), so stride handling is tested too.
    struct Operands {
        var a: [Float], b: [Float], c: [Float]
        let lda: Int, ldb: Int, ldc: Int
        init(_ t: Case, seed: UInt64) {
            var rng = SeededRNG(seed: seed)
            let aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k
            let bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n
            lda = aCols + 1; ldb = bCols + 1; ldc = t.n + 1
            a = (0..<max(1, aRows * lda)).map { _ in Float(rng.normal()) }
            b = (0..<max(1, bRows * ldb)).map { _ in Float(rng.normal()) }
            c = (0..<(t.m * ldc)).map { _ in Float(rng.normal()) }
        }
    }

    func run(_ t: Case, _ o: Operands, reference: Bool) -> [Float] {
        var c = o.c
        o.a.withUnsafeBufferPointer { a in
            o.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { cp in
                    if reference {
                        sgemmReference(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                                       a: a.baseAddress!, lda: o.lda, b: b.baseAddress!, ldb: o.ldb, beta: t.beta,
                                       c: cp.baseAddress!, ldc: o.ldc)
                    } else {
                        gemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                             a: a.baseAddress!, lda: o.lda, b: b.baseAddress!, ldb: o.ldb, beta: t.beta,
                             c: cp.baseAddress!, ldc: o.ldc)
                    }
                }
            }
        }
        return c
    }

    /// Same as `run` on the current thread while it is marked as a parallel worker: no column split.
    func runSerial(_ t: Case, _ o: Operands) -> [Float] {
        var out: [Float] = []
        let lock = NSLock()
        Parallel.splitAcrossCores(2) { part in
            guard part.lowerBound == 0 else { return }
            let c = run(t, o, reference: false)
            lock.lock(); out = c; lock.unlock()
        }
        return out
    }

    @Test(arguments: cases) func routeMatchesSgemm(_ t: Case) {
        let o = Operands(t, seed: 7)
        let got = run(t, o, reference: false), want = run(t, o, reference: true)
        // Float32 sums of k products of N(0,1) values, in another order: error ~ √k·2⁻²⁴·|terms|
        let atol = 4e-6 * Double(t.k).squareRoot() * Double(abs(t.alpha) + abs(t.beta) + 1)
        expectClose(got, want, atol: atol, rtol: 1e-5, "\(t)")
        // the padding column of C is never written
        for r in 0..<t.m { #expect(got[r * o.ldc + t.n] == o.c[r * o.ldc + t.n], "padding of row \(r) written, \(t)") }
    }

    @Test(arguments: cases) func splitEqualsSerialExactly(_ t: Case) {
        let o = Operands(t, seed: 11)
        #expect(run(t, o, reference: false) == runSerial(t, o), "\(t)")
    }

    @Test func betaZeroIgnoresNaNInOutput() {
        for t in [Case(transA: false, transB: false, m: 1, n: 2304, k: 768, alpha: 1, beta: 0),
                  Case(transA: false, transB: true, m: 5, n: 1000, k: 64, alpha: 1, beta: 0),
                  Case(transA: false, transB: false, m: 5, n: 1000, k: 64, alpha: 1, beta: 0),
                  Case(transA: false, transB: false, m: 100, n: 1, k: 64, alpha: 1, beta: 0)] {
            var o = Operands(t, seed: 3)
            o.c = o.c.map { _ in Float.nan }
            let got = run(t, o, reference: false)
            for r in 0..<t.m { for j in 0..<t.n { #expect(got[r * o.ldc + j].isFinite, "\(t) (\(r), \(j))") } }
        }
    }

    @Test func emptyInnerDimensionScalesC() {
        let t = Case(transA: false, transB: false, m: 3, n: 4, k: 0, alpha: 1, beta: 0.5)
        let o = Operands(t, seed: 5)
        let got = run(t, o, reference: false)
        for r in 0..<3 { for j in 0..<4 { #expect(got[r * o.ldc + j] == 0.5 * o.c[r * o.ldc + j]) } }
    }
}
