import Data
import Foundation
import Metrics
import World

/// How a run scores captions: pycocoevalcap's metrics (`CaptionEvaluator`) and, for a generated world
/// (`data.attributes`), its attribute accuracy in the columns `attribute_accuracy`, `shape_accuracy`,
/// `colour_accuracy` and `relation_accuracy` after them (see `AttributeScores` for the rules). Per image,
/// each attribute column is 1 or 0; `relation_accuracy` is NaN for a scene without a relation, and its
/// corpus value is over the scenes with one (the column is left out when there are none).
public struct RunScorer: Sendable {
    public var evaluator: CaptionEvaluator
    public var attributes: WorldAttributes?

    public init(evaluator: CaptionEvaluator, attributes: WorldAttributes? = nil) {
        self.evaluator = evaluator; self.attributes = attributes
    }

    /// Scores `images` (one candidate each); `label` names the captions in errors.
    public func evaluate(_ images: [ImageCaptions], label: String) throws -> CaptionScores {
        var scores = try evaluator.evaluate(images)
        guard let attributes else { return scores }
        var candidate: [ItemID: String] = [:]
        for image in images { candidate[image.imageId] = image.candidate }
        let verdicts = try AttributeAccuracy.verdicts(scores.imageIds.map { ($0, candidate[$0] ?? "") },
                                                      attributes: attributes, resultsFile: label)
        let corpus = AttributeScores(verdicts)
        func flag(_ b: Bool) -> Double { b ? 1 : 0 }
        scores.add("attribute_accuracy", corpus: corpus.attributeAccuracy, perImage: verdicts.map { flag($0.correct) })
        scores.add("shape_accuracy", corpus: corpus.shapeAccuracy, perImage: verdicts.map { flag($0.shape) })
        scores.add("colour_accuracy", corpus: corpus.colourAccuracy, perImage: verdicts.map { flag($0.colour) })
        if let relation = corpus.relationAccuracy {
            scores.add("relation_accuracy", corpus: relation, perImage: verdicts.map { $0.relation.map(flag) ?? .nan })
        }
        return scores
    }

    /// The columns of several scorings in one table's order: each column where it first appears.
    static func columns(_ lists: [[String]]) -> [String] {
        var out: [String] = []
        for list in lists { for c in list where !out.contains(c) { out.append(c) } }
        return out
    }
}
