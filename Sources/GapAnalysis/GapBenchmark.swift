import Foundation
import Tensor

/// Timings of the gap analysis' heavy parts, for `clipcap bench ot` and `clipcap bench svd`;
/// `scripts/bench_gap_torch.py` times POT's `ot.emd` and numpy's SVD on the same clouds.
public enum GapBenchmark {
    public struct Timing: Sendable {
        /// "ot" or "svd".
        public var kind: String
        /// e.g. "n2000x2000-d512-euclidean".
        public var config: String
        /// Rows of the image cloud (N).
        public var batch: Int
        /// Timed repetitions.
        public var repetitions: Int
        public var minSeconds: Double
        public var medianSeconds: Double
        public var maxSeconds: Double
        /// Extra numbers worth printing (the OT cost, LP rounds, ...).
        public var details: [String: Double]
    }

    /// Seeded clouds with a real gap, reproducible in Python (`gen_gap.py` has the same generator):
    /// with `rng = SeededRNG(seed)`, first a direction δ of D normal draws, then the image rows
    /// `Float(rng.normal() + gap·δ[k])` row by row, then the text rows `Float(rng.normal() − gap·δ[k])`,
    /// all arithmetic in Double. Rows are not normalized (the gap analysis normalizes them).
    public static func syntheticClouds(n: Int, m: Int, dimension d: Int, gap: Double = 0.25, seed: UInt64)
        -> (image: Tensor, text: Tensor) {
        var rng = SeededRNG(seed: seed)
        let direction = (0..<d).map { _ in rng.normal() }
        var image = Tensor(uninitialized: [n, d]), text = Tensor(uninitialized: [m, d])
        let ip = image.mutableData, tp = text.mutableData
        for i in 0..<(n * d) { ip[i] = Float(rng.normal() + gap * direction[i % d]) }
        for i in 0..<(m * d) { tp[i] = Float(rng.normal() - gap * direction[i % d]) }
        return (image, text)
    }

    /// Exact OT (`ExactTransport`, default options) between synthetic normalized clouds of N and M rows,
    /// including the cost matrix, the warm start and the certificate. M defaults to N.
    public static func ot(n: Int, m: Int? = nil, dimension: Int = 512, cost: TransportCost = .euclidean,
                          repetitions: Int = 3, warmup: Int = 0, seed: UInt64 = 0) throws -> Timing {
        let m = m ?? n
        let clouds = syntheticClouds(n: n, m: m, dimension: dimension, seed: seed)
        let gap = try ModalityGap(image: clouds.image, text: clouds.text)
        var last: ExactTransport.Solution?
        let times = try measure(repetitions: repetitions, warmup: warmup) {
            last = try ExactTransport.solve(source: gap.image, target: gap.text, cost: cost)
        }
        var details: [String: Double] = [:]
        if let last {
            details = ["cost": last.cost, "rounds": Double(last.rounds), "candidates": Double(last.candidates),
                       "simplex_iterations": Double(last.simplexIterations),
                       "min_reduced_cost": last.certificate.minimumReducedCost]
        }
        return timing("ot", "n\(n)x\(m)-d\(dimension)-\(cost.rawValue)", batch: n, times, details)
    }

    /// What the rotation alignment needs from one cloud, timed exactly: `RightSingularVectors` of the
    /// centered synthetic [N, D] image cloud (Double), i.e. the singular values and the right-singular
    /// vectors (for N > D through AᵀA and dsyevd; U is never formed, since the rotation's scores are
    /// X·V). Centering and the Float32 → Double copy are outside the timing, as numpy's side centers
    /// before timing `numpy.linalg.svd` (which also forms U).
    public static func svd(n: Int, dimension: Int = 512, repetitions: Int = 5, warmup: Int = 1,
                           seed: UInt64 = 0) throws -> Timing {
        let clouds = syntheticClouds(n: n, m: 1, dimension: dimension, seed: seed)
        let x = try normalizedRows(clouds.image, name: "synthetic image cloud")
        let (centered, _) = RotationAlignment.centered(x)
        var viaGram = false
        let times = try measure(repetitions: repetitions, warmup: warmup) {
            viaGram = try RightSingularVectors(centered, rows: n, cols: dimension).viaGram
        }
        return timing("svd", "n\(n)-d\(dimension)-f64", batch: n, times, ["via_gram": viaGram ? 1 : 0])
    }

    private static func measure(repetitions: Int, warmup: Int, _ body: () throws -> Void) throws -> [Double] {
        guard repetitions >= 1, warmup >= 0 else {
            throw GapError.invalidParameter(name: "repetitions", value: "\(repetitions)", reason: "must be at least 1 (warmup ≥ 0)")
        }
        return try Stopwatch.time(repetitions: repetitions, warmup: warmup, body)
    }

    private static func timing(_ kind: String, _ config: String, batch: Int, _ times: [Double],
                               _ details: [String: Double]) -> Timing {
        Timing(kind: kind, config: config, batch: batch, repetitions: times.count, minSeconds: times.min()!,
               medianSeconds: Stopwatch.median(times), maxSeconds: times.max()!, details: details)
    }
}
