import Foundation

/// Work splitting across the machine's cores, for kernels that are not inside BLAS.
public enum Parallel {
    /// Number of workers: the active processor count.
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(range)` on contiguous chunks of 0..<count, in parallel when the work is large enough
    /// (`count · costPerItem` elements of work beyond ~32k); inline otherwise.
    @inline(__always)
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}
