import CLAPACKE
import Foundation
import Tensor

/// A linear probe for modality: how linearly separable the image and text clouds are.
///
/// The classifier is ridge-regularized least squares on the pooled rows, with target +1 for an image
/// and −1 for a text and a bias column: w = (AᵀA + λI)⁻¹Aᵀy with A = [X | 1] (the bias is regularized
/// too, which at λ = 1e-3 against ‖x‖ = 1 rows changes nothing measurable). It predicts "image" when
/// x·w > 0. Least squares rather than logistic regression because it has one answer, found in closed
/// form, so the Python reference reproduces it exactly.
///
/// The split: the pooled rows (images first, then texts) are permuted by a Fisher–Yates shuffle driven
/// by `SeededRNG(seed)` (for k from count−1 down to 1, swap k with `next() % (k + 1)`); the first
/// ⌊count/2⌋ rows of the permutation train, the rest test. The accuracy is the fraction of test rows
/// classified correctly (not class-balanced: with five captions per image, always answering "text"
/// would already score 5/6).
public struct LinearProbe: Sendable, Equatable {
    public var seed: UInt64
    /// λ, the ridge penalty.
    public var ridge: Double

    public init(seed: UInt64 = 0, ridge: Double = 1e-3) {
        self.seed = seed; self.ridge = ridge
    }

    public struct Result: Sendable, Equatable {
        public var accuracy: Double
        public var trainRows: Int
        public var testRows: Int
        /// w (D weights, then the bias).
        public var weights: [Double]
    }

    /// The permutation of 0..<count that decides the split.
    public func permutation(count: Int) -> [Int] {
        var rng = SeededRNG(seed: seed)
        var order = Array(0..<count)
        var k = count - 1
        while k > 0 {
            let r = Int(rng.next() % UInt64(k + 1))
            order.swapAt(k, r)
            k -= 1
        }
        return order
    }

    /// Trains on one half and tests on the other. `image` [N, D] and `text` [M, D], normally unit-norm
    /// rows; needs N + M ≥ 2.
    public func evaluate(image: Tensor, text: Tensor) throws -> Result {
        let n = image.shape[0], m = text.shape[0], d = image.shape[1]
        guard n + m >= 2 else {
            throw GapError.tooFewRows(file: "image and text clouds", rows: n + m, needed: 2, purpose: "the linear probe")
        }
        guard ridge > 0, ridge.isFinite else {
            throw GapError.invalidParameter(name: "ridge", value: "\(ridge)", reason: "must be positive")
        }
        let order = permutation(count: n + m)
        let trainCount = (n + m) / 2
        let w = d + 1
        func row(_ r: Int) -> UnsafePointer<Float> { r < n ? image.data + r * d : text.data + (r - n) * d }

        // A = [X | 1] for the training rows, y = ±1
        var a = Tensor(uninitialized: [trainCount, w])
        let ap = a.mutableData
        var aty = [Double](repeating: 0, count: w)
        for t in 0..<trainCount {
            let r = order[t], x = row(r), y: Double = r < n ? 1 : -1
            for k in 0..<d { ap[t * w + k] = x[k]; aty[k] += y * Double(x[k]) }
            ap[t * w + d] = 1; aty[d] += y
        }
        var gram = Tensor(uninitialized: [w, w])
        gemm(transA: true, m: w, n: w, k: trainCount, a: ap, lda: w, b: ap, ldb: w, c: gram.mutableData, ldc: w)
        var system = (0..<(w * w)).map { Double(gram[flat: $0]) }
        for k in 0..<w { system[k * w + k] += ridge }
        var solution = aty
        let info = LAPACKE_dposv(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), .init(w), 1, &system, .init(w),
                                 &solution, 1)
        guard info == 0 else { throw GapError.lapack(routine: "dposv", info: Int(info)) }

        var correct = 0
        for t in trainCount..<(n + m) {
            let r = order[t], x = row(r)
            var score = solution[d]
            for k in 0..<d { score += solution[k] * Double(x[k]) }
            if (score > 0) == (r < n) { correct += 1 }
        }
        let testCount = n + m - trainCount
        return Result(accuracy: Double(correct) / Double(testCount), trainRows: trainCount, testRows: testCount,
                      weights: solution)
    }
}
