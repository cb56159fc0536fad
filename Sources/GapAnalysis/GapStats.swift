import Foundation
import Tensor

/// The modality-gap statistics of DESIGN.md §6, all on L2-normalized rows.
public struct GapStats: Sendable, Equatable {
    public var imageCount: Int
    public var textCount: Int
    public var dimension: Int
    /// ‖mean(img) − mean(txt)‖.
    public var centroidGap: Double
    /// Mean cosine of matched pairs: for each image with captions, the mean cosine to its captions, then
    /// the mean over those images. Nil when no image has a caption.
    public var matchedCosine: Double?
    /// Images with at least one caption, and all (image, caption) pairs.
    public var matchedImages: Int
    public var matchedPairs: Int
    /// The cone effect: the mean cosine over distinct pairs of images (of texts), computed exactly as
    /// (‖Σx‖² − Σ‖x‖²) / (N(N−1)). Nil for fewer than 2 rows.
    public var imageConeCosine: Double?
    public var textConeCosine: Double?
    /// The mean cosine over all image–text pairs, mean(img)·mean(txt).
    public var crossCosine: Double
    /// The linear probe's held-out accuracy at telling images from texts (see `LinearProbe`).
    public var probe: LinearProbe.Result?
    /// Image ↔ caption retrieval recall over the matched pairs (nil without pairs).
    public var retrieval: Retrieval?

    /// Computes the statistics. `image` [N, D] and `text` [M, D] may be raw: rows are L2-normalized here
    /// (normalizing unit rows again changes nothing but rounding). `pairs` defaults to none. The probe is
    /// skipped (nil) when `probe` is nil or there are fewer than 2 rows in all.
    public static func compute(image: Tensor, text: Tensor, pairs: MatchedPairs? = nil,
                               probe: LinearProbe? = LinearProbe(),
                               imageName: String = "image cloud", textName: String = "text cloud") throws -> GapStats {
        guard image.rank == 2, text.rank == 2, image.shape[1] == text.shape[1] else {
            throw GapError.dimensionMismatch(image: imageName, imageDimension: image.shape.last ?? 0,
                                             text: textName, textDimension: text.shape.last ?? 0)
        }
        guard image.shape[0] >= 1 else { throw GapError.tooFewRows(file: imageName, rows: 0, needed: 1, purpose: "gap statistics") }
        guard text.shape[0] >= 1 else { throw GapError.tooFewRows(file: textName, rows: 0, needed: 1, purpose: "gap statistics") }
        let x = try normalizedRows(image, name: imageName), t = try normalizedRows(text, name: textName)
        let n = x.shape[0], m = t.shape[0], d = x.shape[1]
        let pairs = pairs ?? MatchedPairs(unmatched: n)
        guard pairs.textRows.count == n, pairs.textRows.allSatisfy({ $0.allSatisfy { (0..<m).contains($0) } }) else {
            throw GapError.invalidParameter(name: "pairs", value: "(\(pairs.textRows.count) image rows)",
                                            reason: "need one entry per image row, each naming text rows 0..<\(m)")
        }
        let mi = columnMean(x), mt = columnMean(t)
        var gap = 0.0, cross = 0.0
        for k in 0..<d { gap += (mi[k] - mt[k]) * (mi[k] - mt[k]); cross += mi[k] * mt[k] }
        let perImage = matchedCosines(image: x, text: t, pairs: pairs)
        let matched = perImage.isEmpty ? nil : perImage.reduce(0, +) / Double(perImage.count)
        let probeResult = try probe.flatMap { n + m >= 2 ? try $0.evaluate(image: x, text: t) : nil }
        return GapStats(imageCount: n, textCount: m, dimension: d, centroidGap: gap.squareRoot(),
                        matchedCosine: matched, matchedImages: pairs.matchedImageCount, matchedPairs: pairs.pairCount,
                        imageConeCosine: coneCosine(x, mean: mi), textConeCosine: coneCosine(t, mean: mt),
                        crossCosine: cross, probe: probeResult,
                        retrieval: Retrieval.compute(image: x, text: t, pairs: pairs))
    }

    /// For each image row with captions (in row order), the mean cosine to its captions. Rows need not be
    /// normalized (cosines are computed in Double).
    public static func matchedCosines(image: Tensor, text: Tensor, pairs: MatchedPairs) -> [Double] {
        let d = image.shape[1]
        var out: [Double] = []
        for (i, rows) in pairs.textRows.enumerated() where !rows.isEmpty {
            var s = 0.0
            for j in rows { s += cosine(image.data + i * d, text.data + j * d, d) }
            out.append(s / Double(rows.count))
        }
        return out
    }

    /// Mean cosine over distinct pairs of unit rows: (N²‖μ‖² − Σ‖x‖²) / (N(N−1)).
    static func coneCosine(_ x: Tensor, mean: [Double]) -> Double? {
        let n = x.shape[0], d = x.shape[1]
        guard n >= 2 else { return nil }
        var sumSquared = 0.0
        for k in 0..<d { sumSquared += mean[k] * mean[k] }
        sumSquared *= Double(n) * Double(n)
        var norms = 0.0
        let p = x.data
        for i in 0..<(n * d) { norms += Double(p[i]) * Double(p[i]) }
        return (sumSquared - norms) / (Double(n) * Double(n - 1))
    }

    /// `metric,value` rows for the CSV (DESIGN.md §4: a metric that was not computed is left out).
    public var csvRows: [[String]] {
        var rows: [[String]] = [
            ["image_count", "\(imageCount)"], ["text_count", "\(textCount)"], ["dimension", "\(dimension)"],
            ["centroid_gap", format(centroidGap)],
            ["matched_images", "\(matchedImages)"], ["matched_pairs", "\(matchedPairs)"],
        ]
        if let matchedCosine { rows.append(["matched_cosine", format(matchedCosine)]) }
        if let imageConeCosine { rows.append(["image_cone_cosine", format(imageConeCosine)]) }
        if let textConeCosine { rows.append(["text_cone_cosine", format(textConeCosine)]) }
        rows.append(["cross_cosine", format(crossCosine)])
        if let probe {
            rows.append(["probe_accuracy", format(probe.accuracy)])
            rows.append(["probe_train_rows", "\(probe.trainRows)"])
            rows.append(["probe_test_rows", "\(probe.testRows)"])
        }
        if let retrieval { rows += retrieval.csvRows }
        return rows
    }
}

/// Shortest decimal text that reads back as the same Double (Swift's description), for CSV cells.
func format(_ x: Double) -> String { "\(x)" }
