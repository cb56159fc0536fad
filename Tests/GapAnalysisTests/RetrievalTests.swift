import Data
import Foundation
@testable import GapAnalysis
import Tensor
import Testing
import TestSupport

/// Retrieval recall in `GapStats`: a hand-made case, then a brute-force ranking in Double over clouds larger
/// than one 256-row block. Tolerance: recalls are counts, so they must be equal.
@Suite struct RetrievalTests {
    @Test func handMadeRanks() throws {
        // image 0 → caption 0 (own) scores highest; image 1's own caption 2 ranks second behind caption 1
        let image = Tensor(shape: [2, 2], values: [1, 0, 0.6, 0.8])
        let text = Tensor(shape: [3, 2], values: [1, 0, 0.8, 0.6, 0, 1])
        let stats = try GapStats.compute(image: image, text: text, pairs: MatchedPairs(textRows: [[0, 1], [2]]), probe: nil)
        let r = try #require(stats.retrieval)
        // image 1: caption 1 (0.96) beats caption 2 (0.8): rank 2
        #expect(r.imageToText[1] == 0.5 && r.imageToText[5] == 1)
        // caption 0 → image 0 (1 vs 0.6) ✓; caption 1 → image 0 (0.8 vs 0.96) ✗; caption 2 → image 1 (0.8 vs 0) ✓
        #expect(abs(r.textToImage[1]! - 2.0 / 3) < 1e-12 && r.textToImage[5] == 1)
        #expect(r.imageQueries == 2 && r.textQueries == 3)
        #expect(stats.csvRows.contains(["i2t_recall@1", "0.5"]))
        // no pairs: no retrieval rows
        #expect(try GapStats.compute(image: image, text: text, probe: nil).retrieval == nil)
    }

    @Test func matchesBruteForce() throws {
        var rng = SeededRNG(seed: 11)
        let n = 300, perImage = 2, d = 8
        let image = Tensor.randomNormal([n, d], std: 1, rng: &rng)
        let noise = Tensor.randomNormal([n * perImage, d], std: 1.2, rng: &rng)
        var text = Tensor(uninitialized: [n * perImage, d])
        for j in 0..<(n * perImage) { for k in 0..<d { text[flat: j * d + k] = image[flat: (j / perImage) * d + k] + noise[flat: j * d + k] } }
        // image 599 has no caption: its captions are dropped from the pairs
        let pairs = MatchedPairs(textRows: (0..<n).map { $0 == n - 1 ? [] : Array(($0 * perImage)..<($0 * perImage + perImage)) })
        let r = try #require(try GapStats.compute(image: image, text: text, pairs: pairs, probe: nil).retrieval)

        func unit(_ t: Tensor, _ i: Int) -> [Double] {
            let v = (0..<d).map { Double(t[flat: i * d + $0]) }
            let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / s }
        }
        let xi = (0..<n).map { unit(image, $0) }, tj = (0..<(n * perImage)).map { unit(text, $0) }
        func cos(_ i: Int, _ j: Int) -> Double { zip(xi[i], tj[j]).reduce(0) { $0 + $1.0 * $1.1 } }
        var i2t = [1: 0, 5: 0, 10: 0], t2i = [1: 0, 5: 0, 10: 0]
        for i in 0..<(n - 1) {
            let best = pairs.textRows[i].map { cos(i, $0) }.max()!
            let above = (0..<(n * perImage)).filter { cos(i, $0) > best }.count
            for k in [1, 5, 10] where above < k { i2t[k]! += 1 }
        }
        for j in 0..<((n - 1) * perImage) {
            let own = cos(j / perImage, j)
            let above = (0..<n).filter { $0 != j / perImage && cos($0, j) > own }.count
            for k in [1, 5, 10] where above < k { t2i[k]! += 1 }
        }
        #expect(r.imageQueries == n - 1 && r.textQueries == (n - 1) * perImage)
        for k in [1, 5, 10] {
            #expect(r.imageToText[k] == Double(i2t[k]!) / Double(n - 1), "i2t@\(k)")
            #expect(r.textToImage[k] == Double(t2i[k]!) / Double((n - 1) * perImage), "t2i@\(k)")
        }
        // informative clouds: far above chance (1/598 and 1/299), below perfect
        #expect(r.imageToText[1]! > 0.1 && r.imageToText[1]! < 1)
    }
}
