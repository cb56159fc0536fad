import Foundation
import GapAnalysis
import Plots

/// The gap analysis' pictures (`clipcap gap stats --plot`, a run's gap stage).
public enum GapPlots {
    /// The PCA picture: both clouds on their two leading principal components, an even subsample of each,
    /// and segments from sampled images to their first caption.
    public static func scatter(_ gap: ModalityGap, maxPoints: Int, maxPairs: Int) throws -> ScatterPlot {
        let plane = try gap.principalPlane()
        func sample(_ count: Int, _ most: Int) -> [Int] {
            count <= most ? Array(0..<count) : (0..<most).map { $0 * count / most }
        }
        let images = sample(plane.image.count, maxPoints), texts = sample(plane.text.count, maxPoints)
        let matched = images.filter { !gap.pairs.textRows[$0].isEmpty }
        let segments = sample(matched.count, maxPairs).map { k -> ScatterPlot.Segment in
            let i = matched[k], j = gap.pairs.textRows[i][0]
            return .init(from: (x: plane.image[i].0, y: plane.image[i].1), to: (x: plane.text[j].0, y: plane.text[j].1))
        }
        let v = plane.explainedVariance
        return ScatterPlot(
            title: "Modality gap: PCA of normalized embeddings",
            xLabel: String(format: "PC 1 (%.1f%% of variance)", 100 * v.0),
            yLabel: String(format: "PC 2 (%.1f%% of variance)", 100 * v.1),
            sets: [.init(name: "images (\(gap.imageCount))", points: images.map { (x: plane.image[$0].0, y: plane.image[$0].1) }),
                   .init(name: "captions (\(gap.textCount))", points: texts.map { (x: plane.text[$0].0, y: plane.text[$0].1) })],
            segments: segments)
    }
}
