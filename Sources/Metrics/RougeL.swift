/// ROUGE-L as pycocoevalcap's `Rouge` computes it (rouge/rouge.py): per image, the longest common
/// subsequence with each reference gives precision and recall; the maxima over references combine into an
/// F-measure with β = 1.2. The corpus score is the mean over images. Sentences are split on single spaces
/// (`str.split(" ")`), so an empty caption is one empty word, as in pycocoevalcap.
public enum RougeL {
    public struct Scores: Sendable, Equatable {
        public var corpus: Double
        public var perImage: [Double]
    }

    public static let beta = 1.2

    /// An image without references scores 0.
    public static func score(_ samples: [CaptionSample]) -> Scores {
        var index = NGramIndex()
        var perImage: [Double] = []
        perImage.reserveCapacity(samples.count)
        var row: [Int] = []
        for sample in samples {
            let candidate = index.words(sample.candidate, .singleSpace)
            var bestPrecision = 0.0, bestRecall = 0.0
            for ref in sample.references {
                let reference = index.words(ref, .singleSpace)
                let lcs = longestCommonSubsequence(reference, candidate, row: &row)
                bestPrecision = max(bestPrecision, Double(lcs) / Double(candidate.count))
                bestRecall = max(bestRecall, Double(lcs) / Double(reference.count))
            }
            let b2 = beta * beta
            let score = bestPrecision != 0 && bestRecall != 0
                ? ((1 + b2) * bestPrecision * bestRecall) / (bestRecall + b2 * bestPrecision) : 0
            perImage.append(score)
        }
        let corpus = perImage.isEmpty ? 0 : perImage.reduce(0, +) / Double(perImage.count)
        return Scores(corpus: corpus, perImage: perImage)
    }

    /// Length of the longest common subsequence, by dynamic programming over one reusable row.
    static func longestCommonSubsequence(_ a: [Int32], _ b: [Int32], row: inout [Int]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        row.removeAll(keepingCapacity: true)
        row.append(contentsOf: repeatElement(0, count: b.count + 1))
        for x in a {
            var diagonal = 0   // row[j-1] from the previous pass
            for j in 1...b.count {
                let above = row[j]
                row[j] = x == b[j - 1] ? diagonal + 1 : max(above, row[j - 1])
                diagonal = above
            }
        }
        return row[b.count]
    }
}
