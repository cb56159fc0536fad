import Foundation

/// CIDEr-D as pycocoevalcap's `Cider` computes it (cider/cider_scorer.py).
///
/// Document frequencies come from the references: an n-gram's df is the number of images whose
/// references contain it, and its weight is tf · (log N − log max(1, df)) with N the number of images.
/// Per order n = 1...4, candidate and reference vectors are compared by a clipped cosine (each candidate
/// weight capped at the reference's) times a Gaussian length penalty exp(−δ²/2σ²), σ = 6, where δ is the
/// difference in bigram counts (the scorer's "length"). The four orders are averaged, summed over
/// references and divided by their number, then scaled by 10. The corpus score is the mean over images.
public enum CiderD {
    public struct Scores: Sendable, Equatable {
        public var corpus: Double
        public var perImage: [Double]
    }

    public static let sigma = 6.0
    static let maxOrder = 4

    /// A sentence as CIDEr sees it: tf-idf weights of its n-grams (sorted by id), norms per order, and the
    /// bigram count it uses as length.
    private struct Vector {
        var ngrams: [NGramCount]
        var weights: [Double]
        var norms: [Double]
        var length: Int
    }

    /// An image without references scores 0.
    public static func score(_ samples: [CaptionSample]) -> Scores {
        var index = NGramIndex()
        let candidates = samples.map { index.counts(index.words($0.candidate, .whitespace), maxOrder: maxOrder) }
        let references = samples.map { sample in
            sample.references.map { index.counts(index.words($0, .whitespace), maxOrder: maxOrder) }
        }
        let orders = index.orders
        // compute_doc_freq: each image counts once for every n-gram in the union of its references.
        var documentFrequency = [Double](repeating: 0, count: index.ngramCount)
        var lastImage = [Int](repeating: -1, count: index.ngramCount)
        for (i, refs) in references.enumerated() {
            for counts in refs {
                for c in counts where lastImage[Int(c.id)] != i {
                    lastImage[Int(c.id)] = i
                    documentFrequency[Int(c.id)] += 1
                }
            }
        }
        let refLength = log(Double(samples.count))

        func vector(_ ngrams: [NGramCount]) -> Vector {
            var weights: [Double] = []
            weights.reserveCapacity(ngrams.count)
            var norms = [Double](repeating: 0, count: maxOrder)
            var length = 0
            for c in ngrams {
                let n = Int(orders[Int(c.id)]) - 1
                let w = Double(c.count) * (refLength - log(max(1.0, documentFrequency[Int(c.id)])))
                weights.append(w)
                norms[n] += w * w
                if n == 1 { length += Int(c.count) }   // as cider_scorer.py: the bigram count stands for the length
            }
            return Vector(ngrams: ngrams, weights: weights, norms: norms.map { $0.squareRoot() }, length: length)
        }

        var perImage: [Double] = []
        perImage.reserveCapacity(samples.count)
        for (candidate, refs) in zip(candidates, references) {
            guard !refs.isEmpty else { perImage.append(0); continue }
            let hyp = vector(candidate)
            var score = [Double](repeating: 0, count: maxOrder)
            for refCounts in refs {
                let ref = vector(refCounts)
                // Clipped dot products per order: both n-gram lists are sorted by id.
                var value = [Double](repeating: 0, count: maxOrder)
                var a = 0, b = 0
                while a < hyp.ngrams.count, b < ref.ngrams.count {
                    let ida = hyp.ngrams[a].id, idb = ref.ngrams[b].id
                    if ida < idb { a += 1 } else if ida > idb { b += 1 } else {
                        let r = ref.weights[b]
                        value[Int(orders[Int(ida)]) - 1] += min(hyp.weights[a], r) * r
                        a += 1
                        b += 1
                    }
                }
                let delta = Double(hyp.length - ref.length)
                for n in 0..<maxOrder {
                    if hyp.norms[n] != 0, ref.norms[n] != 0 { value[n] /= hyp.norms[n] * ref.norms[n] }
                    score[n] += value[n] * exp(-(delta * delta) / (2 * sigma * sigma))
                }
            }
            perImage.append(score.reduce(0, +) / Double(maxOrder) / Double(refs.count) * 10)
        }
        let corpus = perImage.isEmpty ? 0 : perImage.reduce(0, +) / Double(perImage.count)
        return Scores(corpus: corpus, perImage: perImage)
    }
}
