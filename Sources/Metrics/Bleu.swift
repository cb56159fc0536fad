import Foundation

/// BLEU-1..4 as pycocoevalcap's `Bleu(4)` computes it (bleu/bleu_scorer.py, option "closest").
///
/// Per image: clipped n-gram matches against the maximum count over its references, the reference length
/// closest to the candidate's (ties to the shorter), and a brevity penalty exp(1 − r/c) when c < r. The
/// corpus score sums matches, guesses and lengths over all images before combining (it is not the mean of
/// the per-image scores). Both add the scorer's epsilons: tiny = 1e-15 to matches, small = 1e-9 to guesses
/// and reference lengths.
public enum Bleu {
    /// BLEU-1...BLEU-4 for the corpus and per image.
    public struct Scores: Sendable, Equatable {
        /// `corpus[k]` is BLEU-(k+1).
        public var corpus: [Double]
        /// `perImage[k][i]` is BLEU-(k+1) of image i.
        public var perImage: [[Double]]
    }

    static let tiny = 1e-15
    static let small = 1e-9
    static let maxOrder = 4

    /// Scores each image's tokenized candidate against its tokenized references. Sentences are split as
    /// Python's `str.split()` does. An image without references counts a reference length of 0.
    public static func score(_ samples: [CaptionSample]) -> Scores {
        let n = maxOrder
        var index = NGramIndex()
        var totalGuess = [Int](repeating: 0, count: n)
        var totalCorrect = [Int](repeating: 0, count: n)
        var totalTestLength = 0
        var totalRefLength = 0
        var perImage = [[Double]](repeating: [], count: n)
        for k in 0..<n { perImage[k].reserveCapacity(samples.count) }
        var maxCounts: [Int32] = []      // by n-gram id, for the current image's references
        var touched: [Int32] = []

        for sample in samples {
            // cook_refs: reference lengths and the maximum count of each n-gram over the references.
            var refLengths: [Int] = []
            for ref in sample.references {
                let words = index.words(ref, .whitespace)
                refLengths.append(words.count)
                let counts = index.counts(words, maxOrder: n)
                if maxCounts.count < index.ngramCount { maxCounts += repeatElement(0, count: index.ngramCount - maxCounts.count) }
                for c in counts where c.count > maxCounts[Int(c.id)] {
                    if maxCounts[Int(c.id)] == 0 { touched.append(c.id) }
                    maxCounts[Int(c.id)] = c.count
                }
            }
            // cook_test: clipped matches and guesses per order.
            let words = index.words(sample.candidate, .whitespace)
            let testLength = words.count
            var correct = [Int](repeating: 0, count: n)
            for c in index.counts(words, maxOrder: n) {
                let clip = Int(c.id) < maxCounts.count ? maxCounts[Int(c.id)] : 0
                correct[Int(index.orders[Int(c.id)]) - 1] += Int(min(clip, c.count))
            }
            for id in touched { maxCounts[Int(id)] = 0 }
            touched.removeAll(keepingCapacity: true)
            let guess = (1...n).map { max(0, testLength - $0 + 1) }
            // "closest": min over (|l − c|, l), so ties go to the shorter reference.
            let refLength = refLengths.min { (abs($0 - testLength), $0) < (abs($1 - testLength), $1) } ?? 0

            totalTestLength += testLength
            totalRefLength += refLength
            for k in 0..<n {
                totalGuess[k] += guess[k]
                totalCorrect[k] += correct[k]
            }
            let scores = combine(correct: correct.map(Double.init), guess: guess.map(Double.init),
                                 testLength: Double(testLength), refLength: Double(refLength))
            for k in 0..<n { perImage[k].append(scores[k]) }
        }
        let corpus = combine(correct: totalCorrect.map(Double.init), guess: totalGuess.map(Double.init),
                             testLength: Double(totalTestLength), refLength: Double(totalRefLength))
        return Scores(corpus: corpus, perImage: perImage)
    }

    /// The geometric means of precisions 1...k, each times the brevity penalty (compute_score's inner step).
    private static func combine(correct: [Double], guess: [Double], testLength: Double, refLength: Double) -> [Double] {
        var out: [Double] = []
        var product = 1.0
        for k in 0..<correct.count {
            product *= (correct[k] + tiny) / (guess[k] + small)
            out.append(pow(product, 1.0 / Double(k + 1)))
        }
        let ratio = (testLength + tiny) / (refLength + small)
        if ratio < 1 {
            let penalty = exp(1 - 1 / ratio)
            for k in out.indices { out[k] *= penalty }
        }
        return out
    }
}
