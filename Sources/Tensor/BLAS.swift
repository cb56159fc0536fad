import CBLAS

/// Matrix multiply through OpenBLAS: C = alpha·op(A)·op(B) + beta·C, all row-major Float32.
/// op(A) is M×K, op(B) is K×N, C is M×N; `lda`, `ldb`, `ldc` are the row strides of the stored
/// matrices, which lets callers address a head's columns inside a wider buffer without copying.
@inline(__always)
public func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Threads OpenBLAS may use for one call. Defaults to all cores; set to 1 inside code that is itself
/// parallel so the two levels do not fight over the same cores.
public enum BLASThreads {
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
