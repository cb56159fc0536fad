import Foundation
import Tensor

// Self-attention for training: the forward keeps the attention probabilities, and the backward turns the
// output gradient into gradients for q, k and v (llm.c attention_forward / attention_backward, with
// the per-(batch, head) products done as small GEMMs).
// Legend: B batch, T tokens, C = NH·HS width, NH heads, HS head size.
// qkv: (B·T, 3C), each row [q | k | v] with head h in columns h·HS..<(h+1)·HS of each part (GPT-2's c_attn
// and the mapper's fused [to_queries | to_keys_values] both produce this). out: (B·T, C).
// probs: (B, NH, T, T), row i of (b, h) the softmax over keys (zeros beyond i when causal).

/// Runs `body(worker, items)` over 0..<items split across the cores, BLAS single-threaded meanwhile (the
/// per-item GEMMs are tiny); inline when the work is small or the caller is already a worker.
func forEachAttentionItem(_ items: Int, work: Int, _ body: (Int, Range<Int>) -> Void) {
    let workers = Parallel.isNested ? 1 : min(Parallel.workers, items)
    if workers <= 1 || work < 65_536 {
        body(0, 0..<items)
        return
    }
    let saved = BLASThreads.count
    BLASThreads.count = 1
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        body(w, (items * w / workers)..<(items * (w + 1) / workers))
    }
    BLASThreads.count = saved
}

/// out = softmax(scale·Q·Kᵀ [+ causal mask])·V per (batch, head), saving the probabilities.
public func selfAttentionTraining(qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                                  batch b: Int, tokens t: Int, heads nh: Int, width c: Int, causal: Bool) {
    let hs = c / nh, scale = 1 / Float(hs).squareRoot()
    forEachAttentionItem(b * nh, work: b * nh * t * t * hs) { _, range in
        for item in range {
            let bi = item / nh, h = item % nh
            let q = qkv + bi * t * 3 * c + h * hs, k = q + c, v = q + 2 * c
            let p = probs + item * t * t
            gemm(transB: true, m: t, n: t, k: hs, alpha: scale, a: q, lda: 3 * c, b: k, ldb: 3 * c, c: p, ldc: t)
            for i in 0..<t {
                let row = p + i * t, visible = causal ? i + 1 : t
                softmaxRow(row, visible)
                if visible < t { (row + visible).update(repeating: 0, count: t - visible) }
            }
            gemm(m: t, n: hs, k: t, a: p, lda: t, b: v, ldb: 3 * c, c: out + bi * t * c + h * hs, ldc: c)
        }
    }
}

/// Backward of `selfAttentionTraining`: from dout (B·T, C) writes dqkv (B·T, 3C) (overwritten, not accumulated).
///   dP = dO·Vᵀ,  dV = Pᵀ·dO,  dS = P ⊙ (dP − rowsum(P ⊙ dP)),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q.
/// `scratch` holds T·T floats per worker (`attentionScratchCount`).
public func selfAttentionBackward(dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                  dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                  batch b: Int, tokens t: Int, heads nh: Int, width c: Int) {
    let hs = c / nh, scale = 1 / Float(hs).squareRoot()
    forEachAttentionItem(b * nh, work: b * nh * t * t * hs) { worker, range in
        let dp = scratch + worker * t * t
        for item in range {
            let bi = item / nh, h = item % nh
            let base = bi * t * 3 * c + h * hs
            let q = qkv + base, k = q + c, v = q + 2 * c
            let dq = dqkv + base, dk = dq + c, dv = dq + 2 * c
            let p = probs + item * t * t, dO = dout + bi * t * c + h * hs
            gemm(transB: true, m: t, n: t, k: hs, a: dO, lda: c, b: v, ldb: 3 * c, c: dp, ldc: t)
            gemm(transA: true, m: t, n: hs, k: t, a: p, lda: t, b: dO, ldb: c, c: dv, ldc: 3 * c)
            for i in 0..<t {
                let pr = p + i * t, dr = dp + i * t
                var dot: Float = 0
                for j in 0..<t { dot += pr[j] * dr[j] }
                for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
            }
            gemm(m: t, n: hs, k: t, alpha: scale, a: dp, lda: t, b: k, ldb: 3 * c, c: dq, ldc: 3 * c)
            gemm(transA: true, m: t, n: hs, k: t, alpha: scale, a: dp, lda: t, b: q, ldb: 3 * c, c: dk, ldc: 3 * c)
        }
    }
}

/// Floats of scratch `selfAttentionBackward` needs for `tokens` tokens.
public func attentionScratchCount(tokens t: Int) -> Int { max(1, Parallel.workers * t * t) }
