import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// λ-mixup (DESIGN.md §6): the text choice per image, z(λ) = λ·t + (1−λ)·v, and the λ list syntax.
/// Exact arithmetic is compared exactly (tolerance 0 in float32, or 1e-7 where a mean is taken).
@Suite struct MixupTests {
    /// Three images (the second without captions), four captions; rows already unit length.
    func gap() throws -> ModalityGap {
        let image = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 0.6, 0.8])
        let text = Tensor(shape: [4, 2], values: [0, 1, 0.8, 0.6, 1, 0, 0.6, -0.8])
        return try ModalityGap(image: image, text: text, pairs: MatchedPairs(textRows: [[1, 0], [], [2, 3]]))
    }

    @Test func textChoices() throws {
        let g = try gap()
        let first = try MixupPairs(gap: g, choice: .first)
        #expect(first.imageRows == [0, 2])
        #expect(first.image.scalars == [1, 0, 0.6, 0.8])
        #expect(first.text.scalars == [0.8, 0.6, 1, 0])
        let mean = try MixupPairs(gap: g, choice: .mean)
        expectClose(mean.text.scalars, [0.4, 0.8, 0.8, -0.4], atol: 1e-7)
        let random = try MixupPairs(gap: g, choice: .random, seed: 3)
        for (k, captions) in [[1, 0], [2, 3]].enumerated() {
            let row = Array(random.text.scalars[(2 * k)..<(2 * k + 2)])
            #expect(captions.contains { j in Array(g.text.scalars[(2 * j)..<(2 * j + 2)]) == row })
        }
        #expect(try MixupPairs(gap: g, choice: .random, seed: 3).text.scalars == random.text.scalars)
    }

    @Test func mixIsLinearAndBounded() throws {
        let pairs = try MixupPairs(gap: try gap(), choice: .first)
        #expect(try pairs.mixed(lambda: 0).scalars == pairs.image.scalars)
        #expect(try pairs.mixed(lambda: 1).scalars == pairs.text.scalars)
        let z = try pairs.mixed(lambda: 0.25).scalars
        let expected = zip(pairs.image.scalars, pairs.text.scalars).map { Float(0.25) * $1 + Float(0.75) * $0 }
        #expect(z == expected)
        #expect(throws: GapError.self) { try pairs.mixed(lambda: 1.5) }
        #expect(throws: GapError.self) { try pairs.mixed(lambda: .nan) }
    }

    @Test func noCaptionedImageIsAnError() throws {
        let g = try ModalityGap(image: Tensor(shape: [1, 2], values: [1, 0]), text: Tensor(shape: [1, 2], values: [0, 1]))
        #expect(throws: GapError.self) { try MixupPairs(gap: g, choice: .first) }
    }

    @Test func lambdaLists() throws {
        #expect(try MixupPairs.parseLambdas("0:1:0.1") == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
        #expect(try MixupPairs.parseLambdas("0:1:0.25") == [0, 0.25, 0.5, 0.75, 1])
        #expect(try MixupPairs.parseLambdas("0.2:0.5:0.2") == [0.2, 0.4])
        #expect(try MixupPairs.parseLambdas("0, 0.5,1") == [0, 0.5, 1])
        for bad in ["0:1:0", "1:0:0.1", "0,1.5", "-0.1", "a", "", "0:1"] {
            #expect(throws: GapError.self, "\(bad)") { try MixupPairs.parseLambdas(bad) }
        }
    }
}
