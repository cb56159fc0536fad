import Data
import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// The scripting surface: the sweep shown in ModalityGap's doc comment, run on stores written here.
@Suite struct ModalityGapTests {
    @Test func theDocumentedSweepRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gap-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let c = try GapFixture.shared.load("unequal")
        let imageURL = folder.appendingPathComponent("image.safetensors"), textURL = folder.appendingPathComponent("text.safetensors")
        let ids = try GapFixture.shared.file.integers("unequal/image_ids").values
        let textIds = try GapFixture.shared.file.integers("unequal/text_ids").values
        try EmbeddingStore.write(embeddings: c.rawImage, rows: ids.map { ImageRecord(imageId: .int($0), path: "\($0).jpg") }, to: imageURL)
        try EmbeddingStore.write(embeddings: c.rawText, rows: textIds.enumerated().map {
            CaptionRecord(imageId: .int($0.element), captionId: .int($0.offset), caption: "caption \($0.offset)")
        }, to: textURL)

        // the five lines of the doc comment (printing replaced by collecting)
        var lines: [String] = []
        let gap = try ModalityGap.load(image: imageURL, text: textURL)
        lines.append("\(try gap.stats().csvRows)")
        for method in AlignmentMethod.allCases {
            let a = try gap.align(method, options: .init(cost: .euclidean, epsilon: 0.05, temperature: 0.01))
            lines.append("\(method) \(a.cost) \(a.seconds) \(gap.matchedCosines(of: a.aligned).reduce(0, +) / Double(gap.pairs.matchedImageCount))")
        }
        #expect(lines.count == 1 + AlignmentMethod.allCases.count)
        // the stores give the same pairs as the fixture's ids, and so the same statistics
        #expect(gap.pairs == c.gap.pairs)
        #expect(gap.pairs.matchedImageCount == 30 && gap.pairs.pairCount == 45)
        expectClose([try gap.stats().centroidGap], [c.double("centroid_gap")], atol: 1e-6, "from stores")
        // the alignments that use the text cloud's location move matched pairs closer on this data. Not
        // rotation: it pairs the k-th principal direction of each cloud by rank and sign convention, which on
        // these synthetic clouds (no shared principal structure) scrambles the pairs; numpy agrees
        // (rotationMatchesNumpySVD).
        let before = gap.matchedCosines().reduce(0, +)
        for method in AlignmentMethod.allCases where method != .rotation {
            let after = gap.matchedCosines(of: try gap.align(method, options: .init(epsilon: 0.05)).aligned).reduce(0, +)
            #expect(after > before, "\(method)")
        }
    }

    @Test func rawCloudsAreUsedAsStoredWhenAsked() throws {
        let x = Tensor(shape: [2, 2], values: [3, 4, 0, 2]), t = Tensor(shape: [1, 2], values: [1, 0])
        let raw = try ModalityGap(image: x, text: t, normalize: false)
        #expect(raw.image.scalars == [3, 4, 0, 2] && !raw.normalized)
        let unit = try ModalityGap(image: x, text: t)
        expectClose(unit.image.scalars, [0.6, 0.8, 0, 1], atol: 1e-7, "normalized")
    }
}
