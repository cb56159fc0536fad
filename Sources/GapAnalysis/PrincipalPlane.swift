import Foundation
import Tensor

/// The plane of the two leading principal components of the pooled image and text rows, and every row's
/// coordinates on it: the usual picture of the modality gap (two separated blobs).
///
/// The pooled cloud is centered on its mean; the directions come from `ThinSVD` (with its sign
/// convention), fitted on at most `fitRows` rows taken at an even stride so that a 600k-row store stays
/// quick. Every row is then projected.
public struct PrincipalPlane: Sendable {
    /// (first, second) coordinate of each image row, text row and aligned row.
    public var image: [(Double, Double)]
    public var text: [(Double, Double)]
    public var aligned: [(Double, Double)]
    /// Fraction of the pooled variance along each of the two directions.
    public var explainedVariance: (Double, Double)

    public init(image: Tensor, text: Tensor, aligned: Tensor? = nil, fitRows: Int = 4000) throws {
        let n = image.shape[0], m = text.shape[0], d = image.shape[1]
        let total = n + m
        guard total >= 2 else { throw GapError.tooFewRows(file: "image and text clouds", rows: total, needed: 2, purpose: "a PCA plane") }
        func row(_ r: Int) -> UnsafePointer<Float> { r < n ? image.data + r * d : text.data + (r - n) * d }
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<total { let x = row(r); for k in 0..<d { mean[k] += Double(x[k]) } }
        for k in 0..<d { mean[k] /= Double(total) }
        let used = min(total, max(2, fitRows))
        var centered = [Double](repeating: 0, count: used * d)
        for t in 0..<used {
            let x = row(t * total / used)
            for k in 0..<d { centered[t * d + k] = Double(x[k]) - mean[k] }
        }
        let svd = try ThinSVD(centered, rows: used, cols: d)
        let variance = svd.s.reduce(0) { $0 + $1 * $1 }
        let directions = min(2, svd.count)
        func project(_ x: UnsafePointer<Float>) -> (Double, Double) {
            var c = (0.0, 0.0)
            for k in 0..<d {
                let v = Double(x[k]) - mean[k]
                c.0 += v * svd.vt[k]
                if directions > 1 { c.1 += v * svd.vt[d + k] }
            }
            return c
        }
        self.image = (0..<n).map { project(image.data + $0 * d) }
        self.text = (0..<m).map { project(text.data + $0 * d) }
        if let aligned {
            self.aligned = (0..<aligned.shape[0]).map { project(aligned.data + $0 * d) }
        } else {
            self.aligned = []
        }
        let share = { (k: Int) -> Double in k < directions && variance > 0 ? svd.s[k] * svd.s[k] / variance : 0 }
        explainedVariance = (share(0), share(1))
    }
}
