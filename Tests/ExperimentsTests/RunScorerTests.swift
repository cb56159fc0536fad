import Data
import Experiments
import Foundation
import Metrics
import Testing
import World

/// `RunScorer` adds a world's attribute accuracy after pycocoevalcap's columns. The per-image values are the
/// verdicts of `AttributeAccuracy` (tested against hand-made captions in WorldTests); here the columns, their
/// order and their corpus means are checked exactly.
@Suite struct RunScorerTests {
    @Test func addsAttributeColumnsAfterTheCOCOOnes() throws {
        let generator = WorldGenerator(seed: 4)
        let samples = (0..<12).map { generator.sample(image: $0) }
        let attributes = WorldAttributes(config: WorldConfig(), seed: 4, images: samples.enumerated().map {
            WorldAttributes.Image(imgid: $0.offset, filename: "\($0.offset).png", split: "test", scene: $0.element.scene)
        })
        // even images get a true caption of their own, odd ones the caption of the next image
        let images = (0..<12).map { i in
            ImageCaptions(imageId: .int(i), candidate: samples[i % 2 == 0 ? i : (i + 1) % 12].captions[0], references: samples[i].captions)
        }
        let scorer = RunScorer(evaluator: CaptionEvaluator(metrics: [.bleu, .cider]), attributes: attributes)
        let scores = try scorer.evaluate(images, label: "test results")
        let truth = try AttributeAccuracy.verdicts(images.map { ($0.imageId, $0.candidate) }, attributes: attributes, resultsFile: "x")
        #expect(Array(scores.columns.prefix(5)) == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "CIDEr"])
        let related = truth.compactMap(\.relation)
        #expect(Array(scores.columns.dropFirst(5)) == ["attribute_accuracy", "shape_accuracy", "colour_accuracy"]
                + (related.isEmpty ? [] : ["relation_accuracy"]))
        #expect(scores.perImage["attribute_accuracy"] == truth.map { $0.correct ? 1 : 0 })
        #expect(scores.corpus["attribute_accuracy"] == Double(truth.filter(\.correct).count) / 12)
        // every true caption is right
        for i in stride(from: 0, to: 12, by: 2) { #expect(scores.perImage["attribute_accuracy"]![i] == 1) }
        #expect(scores.corpus["attribute_accuracy"]! < 1)
        if let r = scores.corpus["relation_accuracy"] {
            #expect(r == Double(related.filter { $0 }.count) / Double(related.count))
        }
        // an image the attributes do not describe is an error naming the captions
        let stray = images + [ImageCaptions(imageId: .int(99), candidate: "a red circle", references: ["a red circle"])]
        #expect(throws: WorldError.self) { try scorer.evaluate(stray, label: "test results") }
        // without attributes, only the COCO columns
        #expect(try RunScorer(evaluator: CaptionEvaluator(metrics: [.cider])).evaluate(images, label: "r").columns == ["CIDEr"])
    }
}
