import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// Mean shift, rotation, Sinkhorn and the memory projection against numpy/POT (gen_gap.py).
@Suite struct AlignmentTests {
    @Test(arguments: ["equal", "unequal"])
    func meanShiftMatchesNumpy(_ name: String) throws {
        let c = try GapFixture.shared.load(name)
        let a = try c.gap.align(.mean)
        expectClose(a.aligned.scalars, try c.tensor("mean").scalars, atol: 1e-6, "\(name) mean shift")
        #expect(!a.renormalized && a.iterations == 1)
        // the centroid gap closes exactly
        let stats = try GapStats.compute(image: a.aligned, text: c.gap.text, probe: nil)
        #expect(stats.imageCount == c.gap.imageCount)
        let shifted = columnMeans(a.aligned), target = columnMeans(c.gap.text)
        expectClose(shifted, target, atol: 1e-6, "\(name) centroid after shift")
    }

    @Test func meanShiftRenormalizesOnRequest() throws {
        let c = try GapFixture.shared.load("equal")
        let a = try c.gap.align(.mean, options: .init(renormalize: true))
        #expect(a.renormalized)
        #expect(a.csvRow[a.csvHeader.firstIndex(of: "renormalized")!] == "true")
        let d = c.gap.dimension
        for i in 0..<a.aligned.shape[0] {
            let norm = (0..<d).reduce(0.0) { $0 + Double(a.aligned[flat: i * d + $1]) * Double(a.aligned[flat: i * d + $1]) }
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test(arguments: ["equal", "unequal"])
    func rotationMatchesNumpySVD(_ name: String) throws {
        let c = try GapFixture.shared.load(name)
        let a = try c.gap.align(.rotation)
        // Double SVD on both sides; the output is rounded to float32
        expectClose(a.aligned.scalars, try c.tensor("rotation").scalars, atol: 2e-6, "\(name) rotation")
        #expect(a.parameters.first { $0.name == "components" }?.value == "\(Int(c.double("rotation_components")))")
    }

    @Test func rotationWithFewerRowsThanDimensionsUsesTheCenteredRank() throws {
        // N ≤ D: centering leaves N − 1 directions
        var rng = SeededRNG(seed: 4)
        let x = Tensor.randomNormal([5, 12], std: 1, rng: &rng), t = Tensor.randomNormal([8, 12], std: 1, rng: &rng)
        let r = try RotationAlignment.apply(image: x, text: t)
        #expect(r.components == 4)
        #expect(r.aligned.shape == [5, 12])
    }

    @Test func svdSignConventionAndReconstruction() throws {
        var rng = SeededRNG(seed: 11)
        let a = (0..<(9 * 4)).map { _ in rng.normal() }
        let svd = try ThinSVD(a, rows: 9, cols: 4)
        #expect(svd.count == 4)
        for k in 0..<4 {
            let row = svd.vt[(k * 4)..<(k * 4 + 4)]
            let largest = row.max { abs($0) < abs($1) }!
            #expect(largest > 0)
        }
        var rebuilt = [Double](repeating: 0, count: 36)
        for i in 0..<9 { for j in 0..<4 { for k in 0..<4 { rebuilt[i * 4 + j] += svd.u[i * 4 + k] * svd.s[k] * svd.vt[k * 4 + j] } } }
        expectClose(rebuilt, a, atol: 1e-12, "U·S·Vᵀ")
    }

    @Test(arguments: ["equal", "unequal"])
    func memoryProjectionMatchesNumpy(_ name: String) throws {
        let c = try GapFixture.shared.load(name)
        for tau in [0.01, 0.1] {
            let a = try c.gap.align(.memory, options: .init(temperature: tau))
            #expect(a.renormalized)
            // softmax at 1/τ = 100 in float32: logits carry ~1e-5 absolute error
            expectClose(a.aligned.scalars, try c.tensor("memory_\(tau)").scalars, atol: 2e-5, "\(name) memory τ=\(tau)")
        }
    }

    @Test(arguments: ["equal", "unequal"])
    func sinkhornMatchesPOT(_ name: String) throws {
        let c = try GapFixture.shared.load(name)
        for (cost, eps) in [(TransportCost.euclidean, 0.1), (.sqeuclidean, 0.2)] {
            let key = "sinkhorn_\(cost.rawValue)_\(eps)"
            let s = try EntropicTransport.solve(source: c.gap.image, target: c.gap.text, cost: cost,
                                                options: .init(epsilon: eps, maxIterations: 20_000, tolerance: 1e-6))
            #expect(s.converged)
            // float32 costs and exps: plan entries within ~1e-7/ε relative of POT's float64 plan
            let reference = try c.tensor("\(key)_plan").scalars
            let scale = Double(reference.max()!)
            expectClose(s.plan.scalars, reference, atol: 2e-5 * scale, rtol: 1e-4, "\(name) \(key) plan")
            expectClose([s.cost], [c.double("\(key)_cost")], atol: 1e-5, "\(name) \(key) cost")
            expectClose(s.barycentricProjection(target: c.gap.text).scalars, try c.tensor("\(key)_projection").scalars,
                        atol: 1e-5, "\(name) \(key) projection")
            let a = try c.gap.align(.sinkhorn, options: .init(cost: cost, epsilon: eps, sinkhornMaxIterations: 20_000,
                                                                sinkhornTolerance: 1e-6))
            expectClose(a.aligned.scalars, try c.tensor("\(key)_projection").scalars, atol: 1e-5, "\(name) align(.sinkhorn)")
            #expect(a.iterations == s.iterations)
        }
    }

    @Test func sinkhornStopsAtTheIterationLimitAndSaysSo() throws {
        let c = try GapFixture.shared.load("equal")
        let s = try EntropicTransport.solve(source: c.gap.image, target: c.gap.text,
                                            options: .init(epsilon: 0.001, maxIterations: 3, tolerance: 1e-12))
        #expect(s.iterations == 3 && !s.converged)
        #expect(s.marginalError > 0 && s.marginalError.isFinite)
        // columns are exact after the last g-step, up to the float32 exps: at ε = 0.001 an exponent
        // (f + g − C)/ε carries ~1e-7/ε = 1e-4 relative error
        let n = c.gap.imageCount, m = c.gap.textCount
        for j in 0..<m {
            let col = (0..<n).reduce(0.0) { $0 + Double(s.plan[flat: $1 * m + j]) }
            #expect(abs(col - 1 / Double(m)) < 2e-4 / Double(m))
        }
    }

    @Test func reportsFollowTheDesignColumns() throws {
        let c = try GapFixture.shared.load("unequal")
        for method in AlignmentMethod.allCases {
            let a = try c.gap.align(method, options: .init(epsilon: 0.05))
            #expect(Array(a.csvHeader.prefix(4)) == ["method", "cost", "iterations", "seconds"])
            #expect(a.csvHeader.count == a.csvRow.count)
            #expect(a.csvRow[0] == method.rawValue)
            #expect(a.aligned.shape == [30, 16])
            #expect(a.cost.isFinite && a.cost >= 0 && a.seconds >= 0)
        }
    }
}

func columnMeans(_ t: Tensor) -> [Double] {
    let n = t.shape[0], d = t.shape[1]
    return (0..<d).map { k in (0..<n).reduce(0.0) { $0 + Double(t[flat: $1 * d + k]) } / Double(n) }
}
