import Foundation
import Tensor

/// Cross-modal retrieval by cosine over matched image and caption clouds: how often an image's nearest
/// caption is one of its own (image → text), and a caption's nearest image is its own (text → image).
///
/// Recall@K counts a query as found when fewer than K candidates score strictly higher than its best true
/// match (so ties go to the query; with continuous embeddings ties do not occur in practice). Image queries
/// are the image rows with at least one caption; text queries are the captions of those images. Chance
/// level is K / candidates. Similarities are computed in blocks of 256 query rows through sgemm, so memory
/// stays at 256 × (the other side's rows) floats whatever the clouds' sizes (COCO's 5000 × 25000 included).
public struct Retrieval: Sendable, Equatable {
    /// Image → text recall at 1, 5 and 10 (fractions of image queries).
    public var imageToText: [Int: Double]
    /// Text → image recall at 1, 5 and 10 (fractions of text queries).
    public var textToImage: [Int: Double]
    public var imageQueries: Int
    public var textQueries: Int

    public static let ranks = [1, 5, 10]

    /// Recalls of unit rows `image` [N, D] and `text` [M, D] paired by `pairs`; nil when no pair exists.
    static func compute(image x: Tensor, text t: Tensor, pairs: MatchedPairs) -> Retrieval? {
        let n = x.shape[0], m = t.shape[0], d = x.shape[1]
        var imageOfText = [Int](repeating: -1, count: m)
        for (i, rows) in pairs.textRows.enumerated() { for j in rows { imageOfText[j] = i } }
        let queryImages = pairs.textRows.indices.filter { !pairs.textRows[$0].isEmpty }
        guard !queryImages.isEmpty else { return nil }

        // Two passes over the same blocks, so every score is the same sgemm result in both: the first keeps
        // each caption's score with its own image, the second ranks.
        var ownScore = [Float](repeating: 0, count: m)
        var imageHits = [Int](repeating: 0, count: ranks.count)
        var higherImages = [Int](repeating: 0, count: m)  // per caption: images scoring above its own
        let block = 256
        var scores = [Float](repeating: 0, count: min(block, n) * m)
        scores.withUnsafeMutableBufferPointer { s in
            var lo = 0
            while lo < n {
                let rows = min(block, n - lo)
                gemm(transB: true, m: rows, n: m, k: d, a: x.data + lo * d, lda: d, b: t.data, ldb: d,
                     c: s.baseAddress!, ldc: m)
                for r in 0..<rows { for j in pairs.textRows[lo + r] { ownScore[j] = s[r * m + j] } }
                lo += rows
            }
            lo = 0
            while lo < n {
                let rows = min(block, n - lo)
                gemm(transB: true, m: rows, n: m, k: d, a: x.data + lo * d, lda: d, b: t.data, ldb: d,
                     c: s.baseAddress!, ldc: m)
                for r in 0..<rows {
                    let i = lo + r, row = s.baseAddress! + r * m
                    // image → text: captions above the image's best own caption
                    let own = pairs.textRows[i]
                    if !own.isEmpty {
                        var best = -Float.infinity
                        for j in own { best = max(best, row[j]) }
                        var above = 0
                        for j in 0..<m where row[j] > best { above += 1 }
                        for (k, rank) in ranks.enumerated() where above < rank { imageHits[k] += 1 }
                    }
                    // text → image: this image against every caption's own score
                    for j in 0..<m where imageOfText[j] >= 0 && imageOfText[j] != i && row[j] > ownScore[j] {
                        higherImages[j] += 1
                    }
                }
                lo += rows
            }
        }
        var textHits = [Int](repeating: 0, count: ranks.count), textQueries = 0
        for j in 0..<m where imageOfText[j] >= 0 {
            textQueries += 1
            for (k, rank) in ranks.enumerated() where higherImages[j] < rank { textHits[k] += 1 }
        }
        var i2t: [Int: Double] = [:], t2i: [Int: Double] = [:]
        for (k, rank) in ranks.enumerated() {
            i2t[rank] = Double(imageHits[k]) / Double(queryImages.count)
            t2i[rank] = Double(textHits[k]) / Double(textQueries)
        }
        return Retrieval(imageToText: i2t, textToImage: t2i, imageQueries: queryImages.count, textQueries: textQueries)
    }

    /// `metric,value` rows: `i2t_recall@K`, `t2i_recall@K`, and the query counts.
    var csvRows: [[String]] {
        Self.ranks.map { ["i2t_recall@\($0)", format(imageToText[$0] ?? 0)] }
            + Self.ranks.map { ["t2i_recall@\($0)", format(textToImage[$0] ?? 0)] }
            + [["i2t_queries", "\(imageQueries)"], ["t2i_queries", "\(textQueries)"]]
    }
}
