import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// Exact OT through GLPK against POT's ot.emd (gen_gap.py), and its optimality certificate.
@Suite struct ExactTransportTests {
    @Test(arguments: ["equal", "unequal"], TransportCost.allCases)
    func planCostAndProjectionMatchPOT(_ name: String, _ cost: TransportCost) throws {
        let c = try GapFixture.shared.load(name)
        let s = try ExactTransport.solve(source: c.gap.image, target: c.gap.text, cost: cost)
        let key = "ot_\(cost.rawValue)"
        // identical float32 rows and Double costs on both sides: the optimal costs agree to LP rounding
        expectClose([s.cost], [c.double("\(key)_cost")], atol: 1e-12, "\(name) \(key) cost")
        #expect(s.certificate.isOptimal, "\(s.certificate)")
        #expect(s.certificate.optimalityBound < 1e-9)
        // random continuous data: the optimal plan is unique, so plans and projections agree too
        expectClose(s.densePlan().scalars, try c.tensor("\(key)_plan").scalars, atol: 1e-7, "\(name) \(key) plan")
        expectClose(s.barycentricProjection(target: c.gap.text).scalars, try c.tensor("\(key)_projection").scalars,
                    atol: 1e-6, "\(name) \(key) projection")
        expectClose(s.unnormalizedProjection(target: c.gap.text).scalars, try c.tensor("\(key)_unnormalized").scalars,
                    atol: 1e-7, "\(name) \(key) T*·X")
        // masses: rows 1/N, columns 1/M
        let n = c.gap.imageCount, m = c.gap.textCount
        var rows = [Double](repeating: 0, count: n), cols = [Double](repeating: 0, count: m)
        for k in s.masses.indices { rows[Int(s.sources[k])] += s.masses[k]; cols[Int(s.targets[k])] += s.masses[k] }
        expectClose(rows, [Double](repeating: 1 / Double(n), count: n), atol: 1e-12, "row masses")
        expectClose(cols, [Double](repeating: 1 / Double(m), count: m), atol: 1e-12, "column masses")
    }

    @Test func theCertificateChecksEveryPair() throws {
        let c = try GapFixture.shared.load("unequal")
        let s = try ExactTransport.solve(source: c.gap.image, target: c.gap.text)
        // recompute every reduced cost with the returned duals, independently of the solver's screen
        let n = c.gap.imageCount, m = c.gap.textCount, d = c.gap.dimension
        var least = Double.infinity
        for i in 0..<n { for j in 0..<m {
            let cij = TransportCost.euclidean.exact(c.gap.image.data + i * d, c.gap.text.data + j * d, dimension: d)
            least = min(least, cij - s.sourceDuals[i] - s.targetDuals[j])
        } }
        #expect(least >= -1e-9)
        #expect(abs(least - s.certificate.minimumReducedCost) < 1e-12)
        #expect(abs(s.certificate.dualityGap) < 1e-9)
        // complementary slackness: every pair carrying mass is tight
        for k in s.masses.indices {
            let i = Int(s.sources[k]), j = Int(s.targets[k])
            let cij = TransportCost.euclidean.exact(c.gap.image.data + i * d, c.gap.text.data + j * d, dimension: d)
            #expect(abs(cij - s.sourceDuals[i] - s.targetDuals[j]) < 1e-9)
        }
    }

    @Test func unnormalizedVariantIsTheBarycentreOverN() throws {
        let c = try GapFixture.shared.load("equal")
        let bary = try c.gap.align(.ot), raw = try c.gap.align(.ot, options: .init(unnormalized: true))
        let n = Float(c.gap.imageCount)
        expectClose(raw.aligned.scalars, bary.aligned.scalars.map { $0 / n }, atol: 1e-8, "T*·X = barycentre / N")
        let p = Dictionary(uniqueKeysWithValues: raw.parameters.map { ($0.name, $0.value) })
        #expect(p["projection"] == "unnormalized")
        let normBary = Double(p["mean_norm_barycentric"]!)!, normRaw = Double(p["mean_norm_unnormalized"]!)!
        #expect(abs(normBary / normRaw - Double(n)) < 1e-3)
        #expect(p["optimal"] == "true")
        #expect(raw.cost == bary.cost)
    }

    /// The larger problems are regenerated here from SeededRNG; gen_gap.py replicates the generator and
    /// stored POT's costs.
    @Test(arguments: ["equal300", "unequal200x300"])
    func largerProblemsMatchPOTCosts(_ label: String) throws {
        let ref = GapFixture.shared.large[label]!
        let n = ref["n"] as! Int, m = ref["m"] as! Int, d = ref["dimension"] as! Int
        let clouds = GapBenchmark.syntheticClouds(n: n, m: m, dimension: d, seed: UInt64(ref["seed"] as! Int))
        // the stored float32 values, read back through Double (Foundation's JSON reader may miss the last
        // bit of a Double, never of a Float)
        #expect(Array(clouds.image.scalars.prefix(4)) == (ref["image_head"] as! [Double]).map(Float.init))
        #expect(Array(clouds.text.scalars.prefix(4)) == (ref["text_head"] as! [Double]).map(Float.init))
        let gap = try ModalityGap(image: clouds.image, text: clouds.text)
        for cost in [TransportCost.euclidean, .sqeuclidean] {
            var rounds: [Int] = []
            let s = try ExactTransport.solve(source: gap.image, target: gap.text, cost: cost) { rounds.append($0.round) }
            expectClose([s.cost], [ref["\(cost.rawValue)_cost"] as! Double], atol: 1e-12, "\(label) \(cost)")
            #expect(s.certificate.isOptimal, "\(s.certificate)")
            #expect(rounds == Array(1...s.rounds))
            #expect(s.candidates < n * m / 4, "the candidate set stays sparse")
        }
    }

    @Test func sparseSolveEqualsTheDenseLP() throws {
        var rng = SeededRNG(seed: 21)
        let x = Tensor.randomNormal([36, 10], std: 1, rng: &rng), y = Tensor.randomNormal([54, 10], std: 1, rng: &rng)
        let gap = try ModalityGap(image: x, text: y)
        let dense = try ExactTransport.solve(source: gap.image, target: gap.text, options: .init(dense: true))
        let sparse = try ExactTransport.solve(source: gap.image, target: gap.text)
        let cold = try ExactTransport.solve(source: gap.image, target: gap.text, options: .init(warmStart: false))
        #expect(dense.candidates == 36 * 54 && dense.rounds == 1)
        expectClose([sparse.cost, cold.cost], [dense.cost, dense.cost], atol: 1e-12, "sparse vs dense LP")
        #expect(dense.certificate.isOptimal && sparse.certificate.isOptimal && cold.certificate.isOptimal)
        expectClose(sparse.densePlan().scalars, dense.densePlan().scalars, atol: 1e-7, "plans")
    }

    @Test func degenerateSizes() throws {
        let x = Tensor(shape: [1, 2], values: [1, 0]), y = Tensor(shape: [3, 2], values: [1, 0, 0, 1, -1, 0])
        let s = try ExactTransport.solve(source: x, target: y)
        #expect(s.targets == [0, 1, 2])
        expectClose(s.masses, [1.0 / 3, 1.0 / 3, 1.0 / 3], atol: 1e-15, "1 × 3")
        let t = try ExactTransport.solve(source: y, target: x)
        #expect(t.sources.sorted() == [0, 1, 2])
        expectClose(t.masses, [1.0 / 3, 1.0 / 3, 1.0 / 3], atol: 1e-15, "3 × 1")
        expectClose([t.cost], [(0 + 2.0.squareRoot() + 2) / 3], atol: 1e-12, "3 × 1 cost")
    }

    @Test func identicalCloudsCostNothing() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.randomNormal([25, 6], std: 1, rng: &rng)
        let s = try ExactTransport.solve(source: x, target: x, cost: .sqeuclidean)
        #expect(abs(s.cost) < 1e-12)
        expectClose(s.barycentricProjection(target: x).scalars, x.scalars, atol: 1e-6, "identity plan")
    }

    @Test func benchmarkEntryPointReturnsTimings() throws {
        let t = try GapBenchmark.ot(n: 40, dimension: 16, repetitions: 2)
        #expect(t.kind == "ot" && t.batch == 40 && t.repetitions == 2)
        #expect(t.minSeconds <= t.medianSeconds && t.medianSeconds <= t.maxSeconds)
        #expect(t.details["cost"]! > 0)
        let s = try GapBenchmark.svd(n: 50, dimension: 16, repetitions: 1, warmup: 0)
        #expect(s.kind == "svd" && s.config == "n50-d16-f64")
    }
}
