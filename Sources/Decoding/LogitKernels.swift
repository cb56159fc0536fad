import Foundation
import Tensor

// Reductions over one row of logits (V values). Each allocates nothing and reads the row once or twice.
// Legend: n values in the row, k values kept.

/// Index of the largest value, the first one on ties (as torch.argmax).
func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    var value = p[0]
    for i in 1..<n where p[i] > value { value = p[i]; best = i }
    return best
}

/// log Σ exp(x) = max + log Σ exp(x − max); the sum of exponentials is accumulated in Double.
func logSumExp(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m8 = V8(repeating: -.infinity), j = 0
    while j + 8 <= n { let v = UnsafeRawPointer(p + j).loadUnaligned(as: V8.self); m8.replace(with: v, where: v .> m8); j += 8 }
    var m = m8.max()
    while j < n { m = max(m, p[j]); j += 1 }
    if m == -.infinity { return m }
    let mm = V8(repeating: m)
    var sum = 0.0
    j = 0
    while j + 8 <= n { sum += Double(simdExp(UnsafeRawPointer(p + j).loadUnaligned(as: V8.self) - mm).sum()); j += 8 }
    while j < n { sum += Double(Foundation.exp(p[j] - m)); j += 1 }
    return m + Float(Foundation.log(sum))
}

/// The `k` largest values of the row and their indices, best first; on ties the lower index ranks first.
/// `values` and `indices` hold `k` entries; k ≤ n.
func topK(_ p: UnsafePointer<Float>, _ n: Int, _ k: Int,
          values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>) {
    // a sorted list of the best k so far; most values fail the first comparison with the current k-th
    var filled = 0
    for i in 0..<n {
        let x = p[i]
        if filled == k && !(x > values[k - 1]) { continue }
        var slot = filled == k ? k - 1 : filled
        if filled < k { filled += 1 }
        while slot > 0 && x > values[slot - 1] {
            values[slot] = values[slot - 1]; indices[slot] = indices[slot - 1]; slot -= 1
        }
        values[slot] = x; indices[slot] = i
    }
}

/// Temperature and top-p (nucleus) sampling from one row of logits, with scratch space reused across calls.
///
/// Matches the meaning of transformers' `TemperatureLogitsWarper` then `TopPLogitsWarper`: probabilities
/// are softmax(logits / T); the nucleus is the smallest set of most likely tokens whose mass reaches
/// `topP` (a token is kept while the mass ranked above it is below `topP`, so the most likely is always
/// kept); the draw is proportional to probability within the nucleus.
struct NucleusSampler {
    private var probabilities: Tensor     // (V): softmax(logits / T)
    private var candidates: [Int32] = []   // token ids, sorted within the nucleus

    init(vocabularySize: Int) {
        probabilities = Tensor(zeros: [vocabularySize])
        candidates.reserveCapacity(vocabularySize)
    }

    mutating func sample(_ logits: UnsafePointer<Float>, _ n: Int, temperature: Float, topP: Float,
                         rng: inout SeededRNG) -> Int {
        if temperature == 0 { return argmax(logits, n) }
        let u = rng.uniform()
        let p = probabilities.mutableData
        let inverse = 1 / temperature
        for i in 0..<n { p[i] = logits[i] * inverse }
        softmaxRow(p, n)
        if topP >= 1 { return Self.draw(u, p, n) }
        return nucleusDraw(u, p, n, topP: topP)
    }

    /// The token at cumulative mass u·total, in index order.
    private static func draw(_ u: Double, _ p: UnsafePointer<Float>, _ n: Int) -> Int {
        var total = 0.0
        for i in 0..<n { total += Double(p[i]) }
        let target = u * total
        var acc = 0.0, last = 0
        for i in 0..<n where p[i] > 0 {
            acc += Double(p[i]); last = i
            if target < acc { return i }
        }
        return last
    }

    /// Draws within the nucleus. Only tokens with p ≥ τ are sorted, for the largest τ (max·10⁻², ·10⁻⁴, …,
    /// then 0) at which they hold `topP` of the mass: they form a prefix of the sorted order holding at least
    /// `topP`, so they contain the nucleus.
    private mutating func nucleusDraw(_ u: Double, _ p: UnsafePointer<Float>, _ n: Int, topP: Float) -> Int {
        let maxP = p[argmax(p, n)]
        var threshold = maxP * 1e-2
        while true {
            candidates.removeAll(keepingCapacity: true)
            var mass: Float = 0
            for i in 0..<n where p[i] >= threshold { candidates.append(Int32(i)); mass += p[i] }
            if mass >= topP || threshold == 0 { break }
            threshold = threshold < 1e-30 ? 0 : threshold * 1e-2
        }
        candidates.sort { p[Int($0)] > p[Int($1)] || (p[Int($0)] == p[Int($1)] && $0 < $1) }
        var kept = 0, before = 0.0
        for c in candidates {
            if kept > 0 && before >= Double(topP) { break }
            before += Double(p[Int(c)]); kept += 1
        }
        let target = u * before
        var acc = 0.0
        for c in candidates.prefix(kept) {
            acc += Double(p[Int(c)])
            if target < acc { return Int(c) }
        }
        return Int(candidates[kept - 1])
    }
}
