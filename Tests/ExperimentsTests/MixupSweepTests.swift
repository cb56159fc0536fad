import Data
import Decoding
import Experiments
import Foundation
import GapAnalysis
import Metrics
import Tensor
import Testing
import TestSupport

/// The README's Swift example, run as written (paths replaced) on stores built here: seeded random
/// 32-wide embeddings for the demo's two test images (ids 6 and 7) and their ten captions, decoded by
/// the tiny demo checkpoint and scored against Experiments/demo/dataset.json.
@Suite struct MixupSweepTests {
    @Test func theReadmeSweepRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mixup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var rng = SeededRNG(seed: 5)
        let imageURL = folder.appendingPathComponent("image.safetensors"), textURL = folder.appendingPathComponent("text.safetensors")
        try EmbeddingStore.write(embeddings: Tensor.randomNormal([2, 32], std: 1, rng: &rng),
                                 rows: [6, 7].map { ImageRecord(imageId: .int($0), path: "\($0).png") }, to: imageURL)
        try EmbeddingStore.write(embeddings: Tensor.randomNormal([10, 32], std: 1, rng: &rng),
                                 rows: (0..<10).map { CaptionRecord(imageId: .int(6 + $0 / 5), captionId: .int($0), caption: "c\($0)") }, to: textURL)
        let repo = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let checkpoint = fixturesDirectory.appendingPathComponent("tiny-clipcap-demo")
        let csv = folder.appendingPathComponent("mixup.csv"), svg = folder.appendingPathComponent("mixup.svg")

        // README ("From Swift"), with the paths above
        let gap = try ModalityGap.load(image: imageURL, text: textURL)
        let pairs = try MixupPairs(gap: gap, choice: .first)
        let refs = try EvaluationInputs.readReferences(repo.appendingPathComponent("Experiments/demo/dataset.json"), splits: ["test"])
        let sweep = MixupSweep(models: [.init(name: "text", captioner: try Captioner(checkpoint: checkpoint)),
                                        .init(name: "image", captioner: try Captioner(checkpoint: checkpoint))])
        let rows = try sweep.run(pairs: pairs, imageIds: try gap.imageIds(of: pairs), references: refs, lambdas: [0, 0.25, 0.5, 0.75, 1])
        try MixupSweep.writeCSV(rows, to: csv)
        try MixupSweep.curve(rows, metric: "CIDEr").write(to: svg)
        var lines: [String] = []
        for method in AlignmentMethod.allCases {
            let aligned = try gap.align(method)
            lines.append("\(method) \(aligned.cost) \(gap.matchedCosines(of: aligned.aligned).reduce(0, +) / Double(gap.pairs.matchedImageCount))")
        }

        #expect(rows.map(\.lambda) == [0, 0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1])
        #expect(rows.map(\.model) == Array(repeating: ["text", "image"], count: 5).flatMap { $0 })
        #expect(rows.allSatisfy { $0.images == 2 && $0.scores["CIDEr"] != nil && $0.scores["METEOR"] == nil })
        // the same checkpoint under two names decodes the same captions
        for k in stride(from: 0, to: rows.count, by: 2) { #expect(rows[k].captions == rows[k + 1].captions) }
        let header = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").first
        #expect(header == "lambda,model,images,BLEU_1,BLEU_2,BLEU_3,BLEU_4,ROUGE_L,CIDEr")
        #expect(try String(contentsOf: svg, encoding: .utf8).contains("<polyline"))
        #expect(lines.count == AlignmentMethod.allCases.count)
    }
}
