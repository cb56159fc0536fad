import Foundation
import Tensor

/// Scaled dot-product attention for all heads of a batch, reading Q, K and V in place from row-major
/// buffers whose rows hold all heads side by side (head h occupies columns h·HS ..< (h+1)·HS).
/// Legend: B batch, Tq queries, Tk keys, NH heads, HS head size.
///
/// Query i (0-based among the Tq new ones) sits at absolute position `queryOffset + i`; with `causal`
/// it sees keys 0...queryOffset+i (the KV-cache case has queryOffset = the cached length).
/// `keyLengths`, when given, masks keys at positions ≥ keyLengths[b] (padding).
/// Each (b, h) pair is one work item; items are spread across the cores, each with its own score buffer.
public struct AttentionShape {
    public var batch: Int, queries: Int, keys: Int, heads: Int, headSize: Int
    public var queryOffset: Int = 0
    public var causal: Bool
    public init(batch: Int, queries: Int, keys: Int, heads: Int, headSize: Int, queryOffset: Int = 0, causal: Bool) {
        self.batch = batch; self.queries = queries; self.keys = keys; self.heads = heads
        self.headSize = headSize; self.queryOffset = queryOffset; self.causal = causal
    }
}

/// Row strides (in floats) of one row within a batch item, and of one batch item, for each buffer.
public struct AttentionLayout {
    public var rowStride: Int, batchStride: Int
    public init(rowStride: Int, batchStride: Int) { self.rowStride = rowStride; self.batchStride = batchStride }
}

public func multiHeadAttention(
    shape s: AttentionShape,
    q: UnsafePointer<Float>, qLayout: AttentionLayout,
    k: UnsafePointer<Float>, kLayout: AttentionLayout,
    v: UnsafePointer<Float>, vLayout: AttentionLayout,
    out: UnsafeMutablePointer<Float>, outLayout: AttentionLayout,
    keyLengths: [Int]? = nil,
    scale: Float
) {
    let items = s.batch * s.heads
    let workers = Parallel.isNested ? 1 : min(Parallel.workers, items)
    let scoresPerWorker = s.queries * s.keys
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, workers * scoresPerWorker))
    defer { scratch.deallocate() }
    let runItems = { (worker: Int, range: Range<Int>) in
        let scores = scratch + worker * scoresPerWorker
        for item in range {
            let b = item / s.heads, h = item % s.heads
            let qp = q + b * qLayout.batchStride + h * s.headSize
            let kp = k + b * kLayout.batchStride + h * s.headSize
            let vp = v + b * vLayout.batchStride + h * s.headSize
            let op = out + b * outLayout.batchStride + h * s.headSize
            let validKeys = min(s.keys, keyLengths?[b] ?? s.keys)
            // scores (Tq × Tk) = scale · Q·Kᵀ
            gemm(transB: true, m: s.queries, n: s.keys, k: s.headSize, alpha: scale,
                 a: qp, lda: qLayout.rowStride, b: kp, ldb: kLayout.rowStride, c: scores, ldc: s.keys)
            for i in 0..<s.queries {
                let row = scores + i * s.keys
                let visible = s.causal ? min(validKeys, s.queryOffset + i + 1) : validKeys
                if visible > 0 { softmaxRow(row, visible) }
                if visible < s.keys { (row + visible).update(repeating: 0, count: s.keys - visible) }
            }
            // out (Tq × HS) = scores · V
            gemm(m: s.queries, n: s.headSize, k: s.keys, a: scores, lda: s.keys,
                 b: vp, ldb: vLayout.rowStride, c: op, ldc: outLayout.rowStride)
        }
    }
    if workers <= 1 || items * scoresPerWorker * s.headSize < 65_536 || Parallel.isNested {
        runItems(0, 0..<items)
    } else {
        let saved = BLASThreads.count
        BLASThreads.count = 1
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            runItems(w, (items * w / workers)..<(items * (w + 1) / workers))
        }
        BLASThreads.count = saved
    }
}
