import Data
import Foundation
import Tensor

/// Which caption embedding t an image is mixed with (DESIGN.md §6, `gap.mixup.text_choice`).
public enum MixupTextChoice: String, CaseIterable, Codable, Sendable {
    /// The image's first caption (in text-store row order).
    case first
    /// One of its captions, drawn with the seed (image i draws from `SeededRNG(seed: seed &+ i)`).
    case random
    /// The mean of its caption embeddings (not renormalized).
    case mean
}

/// λ-mixup between the two modalities (DESIGN.md §6): for each evaluation image, z(λ) = λ·t + (1−λ)·v, with
/// v its image embedding and t the embedding of its caption(s) chosen by `MixupTextChoice`. Rows are those of
/// the gap's clouds, so L2-normalized unless the gap was built with `normalize: false`. λ = 0 is the image,
/// λ = 1 the text. Images without a caption are left out.
public struct MixupPairs: Sendable {
    /// The image-store rows that take part (each has at least one caption), in row order.
    public let imageRows: [Int]
    /// v: [M, D].
    public let image: Tensor
    /// t: [M, D].
    public let text: Tensor

    public init(gap: ModalityGap, choice: MixupTextChoice, seed: UInt64 = 0) throws {
        let rows = gap.pairs.textRows.indices.filter { !gap.pairs.textRows[$0].isEmpty }
        guard !rows.isEmpty else { throw GapError.noMatchedPairs(image: gap.imageName, text: gap.textName) }
        let d = gap.dimension
        var t = Tensor(zeros: [rows.count, d])
        let tp = t.mutableData, src = gap.text.data
        for (k, i) in rows.enumerated() {
            let captions = gap.pairs.textRows[i]
            switch choice {
            case .first:
                (tp + k * d).update(from: src + captions[0] * d, count: d)
            case .random:
                var rng = SeededRNG(seed: seed &+ UInt64(i))
                let j = captions[Int(rng.next() % UInt64(captions.count))]
                (tp + k * d).update(from: src + j * d, count: d)
            case .mean:
                // accumulate in Double, as numpy's mean over float32 rows is compared at 1e-7
                var sum = [Double](repeating: 0, count: d)
                for j in captions { for c in 0..<d { sum[c] += Double(src[j * d + c]) } }
                for c in 0..<d { tp[k * d + c] = Float(sum[c] / Double(captions.count)) }
            }
        }
        imageRows = rows
        image = gap.image.gather(rows: rows)
        text = t
    }

    /// z(λ) = λ·t + (1−λ)·v for every pair: [M, D]. λ outside [0, 1] is an error.
    public func mixed(lambda: Double) throws -> Tensor {
        guard lambda.isFinite, (0...1).contains(lambda) else {
            throw GapError.invalidParameter(name: "lambda", value: "\(lambda)", reason: "must be in [0, 1]")
        }
        var z = Tensor(uninitialized: image.shape)
        let zp = z.mutableData, v = image.data, t = text.data
        let a = Float(lambda), b = Float(1 - lambda)
        for k in 0..<image.count { zp[k] = a * t[k] + b * v[k] }
        return z
    }

    /// Parses a λ list: "0:1:0.1" (start:stop:step, stop included when the steps reach it within 1e-9) or
    /// "0,0.5,1". Every λ must lie in [0, 1].
    public static func parseLambdas(_ text: String) throws -> [Double] {
        func number(_ s: Substring) throws -> Double {
            guard let x = Double(s.trimmingCharacters(in: .whitespaces)), x.isFinite else {
                throw GapError.invalidParameter(name: "lambdas", value: text, reason: "'\(s)' is not a number")
            }
            return x
        }
        var values: [Double]
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let start = try number(parts[0]), stop = try number(parts[1]), step = try number(parts[2])
            guard step > 0, stop >= start else {
                throw GapError.invalidParameter(name: "lambdas", value: text, reason: "start:stop:step needs step > 0 and stop ≥ start")
            }
            let count = Int(((stop - start) / step + 1e-9).rounded(.down)) + 1
            // k·step, rounded to 12 decimals so 0.30000000000000004 prints as 0.3
            values = (0..<count).map { ((start + Double($0) * step) * 1e12).rounded() / 1e12 }
        } else if parts.count == 1 {
            values = try text.split(separator: ",").map(number)
        } else {
            throw GapError.invalidParameter(name: "lambdas", value: text, reason: "expected start:stop:step or a comma-separated list")
        }
        guard !values.isEmpty else { throw GapError.invalidParameter(name: "lambdas", value: text, reason: "names no λ") }
        for x in values where !(0...1).contains(x) {
            throw GapError.invalidParameter(name: "lambdas", value: text, reason: "λ = \(x) is outside [0, 1]")
        }
        return values
    }
}
