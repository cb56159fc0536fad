import Foundation
import Tensor

// The part of an optimizer step shared by every trainer, between the backward and AdamW: refuse a
// non-finite loss or gradient (so a bad batch never reaches the weights), then clip the global norm.

/// Throws `TrainingError.nonFinite` naming `step` (1-based) when the loss or any gradient is NaN or ±Inf;
/// otherwise, with `maxNorm`, scales every gradient as torch.nn.utils.clip_grad_norm_ does
/// (by max_norm / (norm + 1e-6) when that is below 1). Returns the global norm before clipping.
@discardableResult
func checkFiniteAndClip(loss: Double, gradients grads: [ParameterSlot], step: Int, maxNorm: Float?) throws -> Double {
    guard loss.isFinite else { throw TrainingError.nonFinite(step: step, what: "loss (\(loss))") }
    let norm = globalNorm(grads)
    guard norm.isFinite else {
        let name = grads.first { globalNorm([$0]).isFinite == false }?.name ?? "?"
        throw TrainingError.nonFinite(step: step, what: "gradient of \(name)")
    }
    if let maxNorm {
        let coef = Double(maxNorm) / (norm + 1e-6)
        if coef < 1 {
            let k = Float(coef)
            for g in grads {
                let p = g.values, n = g.count
                Parallel.forEachChunk(n) { range in for i in range { p[i] *= k } }
            }
        }
    }
    return norm
}

/// √(Σ g²) over the slots, accumulated in Double; NaN or ∞ when any element is.
func globalNorm(_ slots: [ParameterSlot]) -> Double {
    var total = 0.0
    for s in slots {
        let n = s.count, p = s.values
        var partial = [Double](repeating: 0, count: Parallel.workers)
        partial.withUnsafeMutableBufferPointer { out in
            let chunks = min(Parallel.workers, max(1, n / 65_536))
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                var acc = 0.0, i = n * w / chunks
                let hi = n * (w + 1) / chunks
                while i < hi {
                    let end = min(hi, i + 1024)
                    var f: Float = 0
                    while i < end { f += p[i] * p[i]; i += 1 }
                    acc += Double(f)
                }
                out[w] = acc
            }
        }
        total += partial.reduce(0, +)
    }
    return total.squareRoot()
}
