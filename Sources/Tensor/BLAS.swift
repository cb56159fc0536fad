import CBLAS
import Foundation

/// Matrix multiply through OpenBLAS: C = alpha·op(A)·op(B) + beta·C, all row-major Float32.
/// op(A) is M×K, op(B) is K×N, C is M×N; `lda`, `ldb`, `ldc` are the row strides of the stored
/// matrices, which lets callers address a head's columns inside a wider buffer without copying.
///
/// The shape decides the route (same result up to Float32 rounding of the summation order):
/// - M = 1 or N = 1 (decoding one token, attention of one query): `cblas_sgemv`. sgemm would pack the
///   whole weight matrix for a single row, which costs ~4× the time of streaming it once.
/// - 2 ≤ M < `SmallRows.limit` with A not transposed (a few beams): each weight block is streamed from
///   memory once and reused from cache for all M rows (`smallRowsGemm`), instead of sgemm's packing.
/// - up to `SmallRows.splitLimit` rows: `cblas_sgemm` per column chunk (`ColumnSplit`).
/// - otherwise `cblas_sgemm`.
/// The first two split the output columns into fixed chunks run on all cores (`ColumnSplit`): a weight
/// matrix is read once per token, and one core alone cannot pull the machine's memory bandwidth.
/// With beta = 0, C is never read (it may hold NaN), as sgemm guarantees.
@inline(__always)
public func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // C = beta·C, as sgemm defines it for an empty inner dimension
        for r in 0..<m { scaleRow(c + r * ldc, count: n, stride: 1, beta: beta) }
        return
    }
    if m == 1 {
        // row vector times matrix: y (N) = op(B) applied to x (K); x has stride lda when A is stored K×1
        rowVectorGemv(transB: transB, n: n, k: k, alpha: alpha, x: a, incx: transA ? lda : 1,
                      b: b, ldb: ldb, beta: beta, y: c)
    } else if n == 1 {
        // matrix times column vector: y (M, stride ldc) = op(A)·x, x (K) with stride ldb unless B is stored 1×K
        columnVectorGemv(transA: transA, m: m, k: k, alpha: alpha, a: a, lda: lda, x: b, incx: transB ? 1 : ldb,
                         beta: beta, y: c, incy: ldc)
    } else if !transA && m < SmallRows.limit {
        smallRowsGemm(transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else if m <= SmallRows.splitLimit {
        // a batch of decoding rows: each core runs sgemm on its own column chunks (no OpenBLAS barriers)
        ColumnSplit.run(columns: n, work: n * k) { lo, hi in
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(m), blasint(hi - lo), blasint(k), alpha, a, blasint(lda), transB ? b + lo * ldb : b + lo,
                        blasint(ldb), beta, c + lo, blasint(ldc))
        }
    } else {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

/// The reference route: `cblas_sgemm` for every shape. Tests compare `gemm`'s routes against it.
public func sgemmReference(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Tuning of the few-rows route, measured on a 2-core AVX-512 machine with GPT-2 small's weights.
enum SmallRows {
    /// Below this many rows the streamed route wins; at 16 rows sgemm's packing is amortized (both ≈ 140 ms
    /// for one pass over GPT-2's weights on one core).
    static let limit = 16
    /// Weight rows (K) per block when B is (K, N): 32 rows of 768–3072 floats stay in L2 while the M rows use them.
    static let kBlock = 32
    /// Weight rows (N) per block when B is (N, K): M·128·K ≤ 10⁶ keeps OpenBLAS on its unpacked small-matrix
    /// kernel for the M ≤ 10 of beam search; larger M fall back to packing per block, still correct.
    static let nBlock = 128
    /// Up to this many rows sgemm runs per column chunk on each core (`ColumnSplit`) rather than with
    /// OpenBLAS' threading (decoding batches of 16–64 rows).
    static let splitLimit = 64
}

/// y = beta·y over `count` elements at `stride`; beta = 0 writes zeros without reading y.
@inline(__always)
func scaleRow(_ y: UnsafeMutablePointer<Float>, count: Int, stride: Int, beta: Float) {
    if beta == 1 { return }
    if beta == 0 {
        for i in 0..<count { y[i * stride] = 0 }
    } else {
        for i in 0..<count { y[i * stride] *= beta }
    }
}

/// y (M, stride incy) = alpha·op(A)·x + beta·y: A is (M, K) (`transA` false) or (K, M); rows of y split over the cores.
@inline(__always)
func columnVectorGemv(transA: Bool, m: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int) {
    ColumnSplit.run(columns: m, work: m * k) { lo, hi in
        let w = hi - lo
        scaleRow(y + lo * incy, count: w, stride: incy, beta: beta)
        if transA {
            cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(w), alpha, a + lo, blasint(lda),
                        x, blasint(incx), 1, y + lo * incy, blasint(incy))
        } else {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(w), blasint(k), alpha, a + lo * lda, blasint(lda),
                        x, blasint(incx), 1, y + lo * incy, blasint(incy))
        }
    }
}

/// y (N) = alpha·op(B)·x + beta·y for one row: B is (K, N) (`transB` false) or (N, K), x has K entries at `incx`.
/// Output columns are split over the cores when the matrix is large.
@inline(__always)
func rowVectorGemv(transB: Bool, n: Int, k: Int, alpha: Float, x: UnsafePointer<Float>, incx: Int,
                   b: UnsafePointer<Float>, ldb: Int, beta: Float, y: UnsafeMutablePointer<Float>) {
    ColumnSplit.run(columns: n, work: n * k) { lo, hi in
        let w = hi - lo
        scaleRow(y + lo, count: w, stride: 1, beta: beta)
        if transB {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(w), blasint(k), alpha, b + lo * ldb, blasint(ldb),
                        x, blasint(incx), 1, y + lo, 1)
        } else {
            cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(w), alpha, b + lo, blasint(ldb),
                        x, blasint(incx), 1, y + lo, 1)
        }
    }
}

/// C (M×N) = alpha·A·op(B) + beta·C for 2 ≤ M < `SmallRows.limit`: the weight is read from memory once
/// and each block of it serves all M rows from cache.
/// - B (K, N): for each block of `SmallRows.kBlock` weight rows, one sgemv per output row accumulates
///   into C (beta = 1), so C's rows are summed over K in blocks.
/// - B (N, K): blocks of `SmallRows.nBlock` weight rows, one small sgemm each.
func smallRowsGemm(transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                   b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    ColumnSplit.run(columns: n, work: n * k) { lo, hi in
        if transB {
            var j = lo
            while j < hi {
                let w = min(SmallRows.nBlock, hi - j)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(w), blasint(k), alpha,
                            a, blasint(lda), b + j * ldb, blasint(ldb), beta, c + j, blasint(ldc))
                j += w
            }
        } else {
            let w = hi - lo
            for r in 0..<m { scaleRow(c + r * ldc + lo, count: w, stride: 1, beta: beta) }
            var k0 = 0
            while k0 < k {
                let kb = min(SmallRows.kBlock, k - k0)
                for r in 0..<m {
                    cblas_sgemv(CblasRowMajor, CblasTrans, blasint(kb), blasint(w), alpha, b + k0 * ldb + lo, blasint(ldb),
                                a + r * lda + k0, 1, 1, c + r * ldc + lo, 1)
                }
                k0 += kb
            }
        }
    }
}

/// Splits the output columns of a matrix–vector-like product into fixed chunks of `chunk` columns and
/// runs them on all cores when the work is large, each chunk on single-threaded BLAS (one chunk per core
/// at a time, without OpenBLAS' own barriers). The chunks depend on the column count only, never on the
/// number of cores, and small products run the same chunks one after another, so the result is
/// bit-identical whether split or not and on any machine.
public enum ColumnSplit {
    /// Elements of weight (N·K) from which running chunks concurrently pays for the dispatch (~10 µs).
    public static let minimumWork = 1 << 16
    /// Columns per chunk: 768 (GPT-2's width) splits in two, 2304 in six, 3072 in eight, 50,257 in 131;
    /// chunks beyond the core count let a core that finishes early take another on a shared machine.
    public static let chunk = 384

    /// Calls `body(lo, hi)` on the ranges [i·chunk, min((i+1)·chunk, columns)), concurrently when `work`
    /// is at least `minimumWork` and this thread is not already a parallel worker. OpenBLAS runs
    /// single-threaded meanwhile, since its own threading would change the rounding.
    @inline(__always)
    public static func run(columns n: Int, work: Int, _ body: (Int, Int) -> Void) {
        let chunks = (n + chunk - 1) / chunk
        let saved = BLASThreads.count
        if saved != 1 { BLASThreads.count = 1 }
        defer { if saved != 1 { BLASThreads.count = saved } }
        if Parallel.workers <= 1 || chunks <= 1 || work < minimumWork || Parallel.isNested {
            for i in 0..<chunks { body(i * chunk, min(n, (i + 1) * chunk)) }
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks) { i in body(i * chunk, min(n, (i + 1) * chunk)) }
        }
    }
}

/// Threads OpenBLAS may use for one call. Defaults to all cores; set to 1 inside code that is itself
/// parallel so the two levels do not fight over the same cores.
public enum BLASThreads {
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
