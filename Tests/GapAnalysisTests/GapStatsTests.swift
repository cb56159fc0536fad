import Data
import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// Gap statistics against numpy (gen_gap.py), and the pieces they are built from.
@Suite struct GapStatsTests {
    @Test(arguments: ["equal", "unequal"])
    func statisticsMatchNumpy(_ name: String) throws {
        let c = try GapFixture.shared.load(name)
        let stats = try c.gap.stats()
        // float32 rows, Double reductions: agreement to ~1e-7
        expectClose([stats.centroidGap], [c.double("centroid_gap")], atol: 1e-6, "\(name) centroid gap")
        expectClose([stats.matchedCosine ?? .nan], [c.double("matched_cosine")], atol: 1e-6, "\(name) matched cosine")
        expectClose([stats.imageConeCosine ?? .nan], [c.double("image_cone_cosine")], atol: 1e-6, "\(name) image cone")
        expectClose([stats.textConeCosine ?? .nan], [c.double("text_cone_cosine")], atol: 1e-6, "\(name) text cone")
        expectClose([stats.crossCosine], [c.double("cross_cosine")], atol: 1e-6, "\(name) cross cosine")
        #expect(stats.matchedImages == Int(c.double("matched_images")))
        // the probe's split and classifier are reproduced exactly, so is its accuracy
        // (to 1e-12 only because Foundation's JSON reader on Linux may be off in the last bit)
        expectClose([stats.probe?.accuracy ?? .nan], [c.double("probe_accuracy")], atol: 1e-12, "\(name) probe")
        #expect(stats.probe?.trainRows == Int(c.double("probe_train_rows")))
        #expect(stats.probe?.testRows == Int(c.double("probe_test_rows")))
        expectClose(c.gap.matchedCosines(), try c.tensor("matched_cosines").scalars, atol: 1e-6, "\(name) per-image cosines")
    }

    @Test func severalCaptionsPerImageAverageWithinTheImageFirst() throws {
        // image 0 has captions at cosine 1 and 0; image 1 one caption at cosine 1:
        // mean over images of per-image means = (0.5 + 1) / 2, not the pair mean 2/3
        let image = Tensor(shape: [2, 2], values: [1, 0, 0, 1])
        let text = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 0, 1])
        let rowsI: [JSONValue] = [.object(["image_id": .int(5)]), .object(["image_id": .int(6)])]
        let rowsT: [JSONValue] = [.object(["image_id": .int(5)]), .object(["image_id": .int(5)]), .object(["image_id": .int(6)])]
        let pairs = MatchedPairs(imageRows: rowsI, textRows: rowsT)
        #expect(pairs.textRows == [[0, 1], [2]])
        let stats = try GapStats.compute(image: image, text: text, pairs: pairs, probe: nil)
        #expect(abs(stats.matchedCosine! - 0.75) < 1e-12)
        #expect(stats.matchedPairs == 3 && stats.matchedImages == 2)
        #expect(stats.probe == nil)
    }

    @Test func idsOfDifferentJSONTypesDoNotMatch() {
        let pairs = MatchedPairs(imageRows: [.object(["image_id": .int(42)]), .object(["path": .string("x.jpg")])],
                                 textRows: [.object(["image_id": .string("42")])])
        #expect(pairs.textRows == [[], []])
        #expect(pairs.matchedImageCount == 0)
    }

    @Test func coneCosineIsTheMeanOverDistinctPairs() throws {
        var rng = SeededRNG(seed: 3)
        let x = Tensor.randomNormal([7, 5], std: 1, rng: &rng)
        let stats = try GapStats.compute(image: x, text: x, probe: nil)
        // brute force over i ≠ j
        var s = 0.0
        let d = 5
        let norms = (0..<7).map { i in (0..<d).reduce(0.0) { $0 + Double(x[flat: i * d + $1]) * Double(x[flat: i * d + $1]) }.squareRoot() }
        for i in 0..<7 { for j in 0..<7 where i != j {
            var dot = 0.0
            for k in 0..<d { dot += Double(x[flat: i * d + k]) * Double(x[flat: j * d + k]) }
            s += dot / (norms[i] * norms[j])
        } }
        expectClose([stats.imageConeCosine!], [s / 42], atol: 1e-6, "cone")
        #expect(stats.centroidGap < 1e-7)
        #expect(stats.matchedCosine == nil)
    }

    @Test func csvRowsLeaveOutWhatWasNotComputed() throws {
        let x = Tensor(shape: [1, 2], values: [1, 0])
        let stats = try GapStats.compute(image: x, text: x, probe: nil)
        let names = stats.csvRows.map { $0[0] }
        #expect(names.contains("centroid_gap"))
        #expect(!names.contains("matched_cosine"))
        #expect(!names.contains("image_cone_cosine"))   // one row: no distinct pairs
        #expect(!names.contains("probe_accuracy"))
    }

    @Test func probeSeparatesSeparableClouds() throws {
        var rng = SeededRNG(seed: 9)
        var a = Tensor.randomNormal([50, 8], std: 0.1, rng: &rng), b = Tensor.randomNormal([50, 8], std: 0.1, rng: &rng)
        for i in 0..<50 { a[flat: i * 8] += 1; b[flat: i * 8] -= 1 }
        let result = try LinearProbe(seed: 1).evaluate(image: a, text: b)
        #expect(result.accuracy == 1)
        #expect(result.trainRows == 50 && result.testRows == 50)
        // the permutation is a permutation, and seeded
        let p = LinearProbe(seed: 1).permutation(count: 100)
        #expect(p.sorted() == Array(0..<100))
        #expect(p == LinearProbe(seed: 1).permutation(count: 100))
        #expect(p != LinearProbe(seed: 2).permutation(count: 100))
    }

    @Test func principalPlaneSeparatesTheClouds() throws {
        let c = try GapFixture.shared.load("equal")
        let plane = try c.gap.principalPlane(aligned: c.gap.image)
        #expect(plane.image.count == 40 && plane.text.count == 40 && plane.aligned.count == 40)
        // the gap is the dominant direction: the clouds' first coordinates have opposite mean signs
        let mi = plane.image.map(\.0).reduce(0, +) / 40, mt = plane.text.map(\.0).reduce(0, +) / 40
        #expect(mi * mt < 0)
        #expect(plane.explainedVariance.0 >= plane.explainedVariance.1 && plane.explainedVariance.0 > 0)
        #expect(plane.aligned.map(\.0) == plane.image.map(\.0))
    }
}
