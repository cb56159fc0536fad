import Foundation
import Testing
import Tensor
import Models
@testable import Decoding
import TestSupport

/// Sampling: reproducible per seed, different across seeds, and the greedy limits (top-p → 0, temperature → 0).
@Suite struct SamplingTests {
    let c: DecodingCase
    let prefix: Tensor
    let greedy: [[Int]]

    init() throws {
        c = try DecodingCase.load("greedy_eos_start")
        prefix = c.prefix
        greedy = try TinyModel.decoder.decode(prefix: prefix, options: Self.options(.greedy, c))
    }

    static func options(_ strategy: DecodingStrategy, _ c: DecodingCase) -> DecodingOptions {
        DecodingOptions(strategy: strategy, maxLength: c.maxNewTokens, stopTokens: Set(c.stopTokens), startTokens: c.startTokens)
    }

    func options(_ strategy: DecodingStrategy) -> DecodingOptions { Self.options(strategy, c) }

    func sample(temperature: Float = 1, topP: Float = 1, seed: UInt64) throws -> [[Int]] {
        try TinyModel.decoder.decode(prefix: prefix, options: options(.sample(temperature: temperature, topP: topP, seed: seed)))
    }

    @Test(arguments: [(Float(1), Float(1)), (0.7, 0.9)])
    func reproducibleWithASeed(_ temperature: Float, _ topP: Float) throws {
        let a = try sample(temperature: temperature, topP: topP, seed: 42)
        let b = try sample(temperature: temperature, topP: topP, seed: 42)
        #expect(a == b)
        #expect(a.allSatisfy { Array($0.prefix(c.startTokens.count)) == c.startTokens })
    }

    @Test func differsAcrossSeeds() throws {
        let a = try sample(seed: 1), b = try sample(seed: 2)
        #expect(a != b)
        #expect(a != greedy)
    }

    @Test func topPNearZeroIsGreedy() throws {
        #expect(try sample(topP: 1e-9, seed: 7) == greedy)
        #expect(try sample(temperature: 1.5, topP: 1e-9, seed: 8) == greedy)
    }

    @Test func temperatureToZeroIsGreedy() throws {
        #expect(try sample(temperature: 1e-6, seed: 9) == greedy)
        #expect(try sample(temperature: 1e-6, topP: 0.9, seed: 10) == greedy)
        #expect(try sample(temperature: 0, seed: 11) == greedy)
    }

    /// Row r of a batch draws from seed + r, so a batch equals its rows decoded alone with those seeds.
    @Test func batchEqualsRowByRow() throws {
        let batch = try sample(temperature: 0.9, topP: 0.95, seed: 100)
        for r in 0..<prefix.shape[0] {
            let alone = try TinyModel.decoder.decode(
                prefix: row(prefix, r), options: options(.sample(temperature: 0.9, topP: 0.95, seed: 100 + UInt64(r))))
            #expect(alone == [batch[r]], "row \(r)")
        }
    }

    // MARK: the sampler on hand-made rows

    /// Probabilities (0.5, 0.3, 0.15, 0.05): the 0.7 nucleus is {0, 1} (0.5 ranks above token 1, below 0.7;
    /// 0.8 ranks above token 2), drawn 5 : 3; without top-p all four are drawn in proportion.
    @Test func nucleusKeepsTheSmallestSetReachingTopP() {
        let probabilities: [Float] = [0.5, 0.3, 0.15, 0.05]
        let logits = probabilities.map { Foundation.log($0) }
        var sampler = NucleusSampler(vocabularySize: 4)
        var rng = SeededRNG(seed: 3)
        let draws = 40_000
        func frequencies(topP: Float, temperature: Float = 1) -> [Double] {
            var counts = [0, 0, 0, 0]
            logits.withUnsafeBufferPointer { p in
                for _ in 0..<draws {
                    counts[sampler.sample(p.baseAddress!, 4, temperature: temperature, topP: topP, rng: &rng)] += 1
                }
            }
            return counts.map { Double($0) / Double(draws) }
        }
        expectClose(frequencies(topP: 0.7), [0.625, 0.375, 0, 0], atol: 0.01, "top-p 0.7")
        expectClose(frequencies(topP: 1), [0.5, 0.3, 0.15, 0.05], atol: 0.01, "top-p 1")
        expectClose(frequencies(topP: 0.45), [1, 0, 0, 0], atol: 0, "top-p 0.45")
        // temperature 2: p^(1/2), renormalized
        let root = probabilities.map { Double($0).squareRoot() }, sum = root.reduce(0, +)
        expectClose(frequencies(topP: 1, temperature: 2), root.map { $0 / sum }, atol: 0.01, "temperature 2")
    }

    /// A flat row over a large vocabulary: the nucleus search lowers its threshold until it holds top-p.
    @Test func nucleusOnAFlatRow() {
        let n = 200
        let logits = (0..<n).map { Float($0 % 10) * 1e-3 }   // nearly uniform
        var sampler = NucleusSampler(vocabularySize: n)
        var rng = SeededRNG(seed: 5)
        var seen = Set<Int>()
        logits.withUnsafeBufferPointer { p in
            for _ in 0..<2000 { seen.insert(sampler.sample(p.baseAddress!, n, temperature: 1, topP: 0.5, rng: &rng)) }
        }
        // about half of the tokens, the most likely ones (largest logit remainders)
        #expect(seen.count > 80 && seen.count <= 104)
        #expect(seen.allSatisfy { $0 % 10 >= 4 })
    }
}
