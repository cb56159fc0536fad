import Foundation

/// Work splitting across the machine's cores, for kernels that are not inside BLAS, and data parallelism
/// across cores for whole forward passes.
public enum Parallel {
    /// Number of workers: the active processor count.
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Marks threads that are already one of several parallel workers, so kernels they call run inline
    /// instead of fanning out again.
    private static let nestedKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True on a thread running inside `splitAcrossCores`.
    public static var isNested: Bool { pthread_getspecific(nestedKey) != nil }

    /// Calls `body(range)` on contiguous chunks of 0..<count, in parallel when the work is large enough
    /// (`count · costPerItem` elements of work beyond ~32k) and this thread is not already a worker.
    @inline(__always)
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 || count * costPerItem < 32_768 || isNested {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Data parallelism: splits 0..<count into one contiguous part per core and runs `body(part)` on each
    /// concurrently, with BLAS single-threaded meanwhile (one GEMM per core without synchronization
    /// beats one GEMM split across cores) and with inner kernels running inline.
    /// Falls back to one call over everything on one core, for a count of 1, or when already nested.
    public static func splitAcrossCores(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(workers, count)
        if parts <= 1 || isNested {
            if count > 0 { body(0..<count) }
            return
        }
        let saved = BLASThreads.count
        BLASThreads.count = 1
        defer { BLASThreads.count = saved }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            pthread_setspecific(nestedKey, UnsafeRawPointer(bitPattern: 1))
            defer { pthread_setspecific(nestedKey, nil) }
            body((count * p / parts)..<(count * (p + 1) / parts))
        }
    }
}
