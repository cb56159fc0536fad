import Data
import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Plots
import Tensor

/// The λ-mixup sweep of the Unsupervised-ClipCap paper (its Figure 3; DESIGN.md §6): for each λ and each
/// model, decode z(λ) = λ·t + (1−λ)·v for every evaluation image and score the captions against the
/// references. Models trained on text and on images sit in one table, one row per (λ, model).
///
/// ```swift
/// let gap = try ModalityGap.load(image: imageStore, text: textStore)
/// let pairs = try MixupPairs(gap: gap, choice: .first)
/// let refs = try EvaluationInputs.readReferences(URL(fileURLWithPath: "dataset_coco.json"), splits: ["test"])
/// let sweep = MixupSweep(models: [.init(name: "text-trained", captioner: try Captioner(checkpoint: textCkpt)),
///                                 .init(name: "image-trained", captioner: try Captioner(checkpoint: imageCkpt))],
///                        strategy: .beam(width: 5))
/// let rows = try sweep.run(pairs: pairs, imageIds: try gap.imageIds(of: pairs), references: refs, lambdas: [0, 0.5, 1])
/// try MixupSweep.writeCSV(rows, to: URL(fileURLWithPath: "mixup.csv"))
/// ```
public struct MixupSweep {
    public struct Model {
        /// The model's name in the table and the plot's legend.
        public var name: String
        public var captioner: Captioner
        public init(name: String, captioner: Captioner) { self.name = name; self.captioner = captioner }
    }

    /// One (λ, model) row: the corpus scores of pycocoevalcap's columns that were computed.
    public struct Row: Sendable, Equatable {
        public var lambda: Double
        public var model: String
        public var images: Int
        public var scores: [String: Double]
        /// The score columns, in the CSV's order (pycocoevalcap's, then any others such as attribute accuracy).
        public var columns: [String]
        /// The captions, in the order of the sweep's image ids.
        public var captions: [String]
    }

    public var models: [Model]
    public var strategy: DecodingStrategy
    public var maxLength: Int
    /// Overrides each checkpoint's stop rule when set.
    public var stop: StopRule?
    public var startWords: String
    public var batchSize: Int
    public var scorer: RunScorer

    public init(models: [Model], strategy: DecodingStrategy = .beam(width: 5), maxLength: Int = DecodingOptions.defaultMaxLength,
                stop: StopRule? = nil, startWords: String = "", batchSize: Int = 32,
                scorer: RunScorer = RunScorer(evaluator: CaptionEvaluator(metrics: [.bleu, .rougeL, .cider]))) {
        self.models = models; self.strategy = strategy; self.maxLength = maxLength; self.stop = stop
        self.startWords = startWords; self.batchSize = batchSize; self.scorer = scorer
    }

    /// Runs the sweep. `imageIds[k]` names pair k (`pairs.imageRows[k]`'s image); every one must have
    /// references. `progress` is told each finished (λ, model) row; an error it throws stops the sweep.
    public func run(pairs: MixupPairs, imageIds: [ItemID], references: EvaluationInputs.References,
                    referencesFile: String = "references", lambdas: [Double],
                    progress: ((Row) throws -> Void)? = nil) throws -> [Row] {
        guard imageIds.count == pairs.imageRows.count else {
            throw GapError.invalidParameter(name: "imageIds", value: "\(imageIds.count)", reason: "need one per mixup pair (\(pairs.imageRows.count))")
        }
        let options = try models.map { try $0.captioner.options(strategy: strategy, maxLength: maxLength, stop: stop, startWords: startWords) }
        var rows: [Row] = []
        for lambda in lambdas {
            let z = try pairs.mixed(lambda: lambda)
            for (model, option) in zip(models, options) {
                let captions = try model.captioner.captions(for: z, options: option, batchSize: batchSize)
                let results = zip(imageIds, captions).map { EvaluationInputs.Result(imageId: $0, caption: $1) }
                let label = "mixup λ=\(lambda) \(model.name)"
                let images = try EvaluationInputs.pair(results, resultsFile: label, references: references, referencesFile: referencesFile)
                let scores = try scorer.evaluate(images, label: label)
                let row = Row(lambda: lambda, model: model.name, images: images.count, scores: scores.corpus,
                              columns: scores.columns, captions: captions)
                rows.append(row)
                try progress?(row)
            }
        }
        return rows
    }

    /// A model given as `NAME=PATH`, or as `PATH` alone (named after its last path component).
    public static func namedModel(_ spec: String) -> (name: String, path: String) {
        if let eq = spec.firstIndex(of: "="), eq != spec.startIndex {
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        return (URL(fileURLWithPath: spec).standardizedFileURL.lastPathComponent, spec)
    }

    /// `lambda,model,images` then the score columns of the rows (pycocoevalcap's in its order, then others
    /// such as attribute accuracy), atomically.
    public static func writeCSV(_ rows: [Row], to url: URL) throws {
        let columns = RunScorer.columns(rows.map(\.columns))
        let table = rows.map { row in
            ["\(row.lambda)", row.model, "\(row.images)"] + columns.map { c in row.scores[c].map { String(format: "%.6f", $0) } ?? "" }
        }
        try CSVWriter.write(header: ["lambda", "model", "images"] + columns, rows: table, to: url)
    }

    /// The mixup curve: `metric` against λ, one line per model.
    public static func curve(_ rows: [Row], metric: String = "CIDEr") -> LineChart {
        var order: [String] = []
        for row in rows where !order.contains(row.model) { order.append(row.model) }
        let series = order.map { name in
            LineChart.Series(name: name, points: rows.filter { $0.model == name }.compactMap { row in
                row.scores[metric].map { (x: row.lambda, y: $0) }
            })
        }
        return LineChart(title: "\(metric) along the mixup z(λ) = λ·text + (1−λ)·image",
                         xLabel: "λ (0 = image embedding, 1 = text embedding)", yLabel: metric, series: series)
    }
}

extension ModalityGap {
    /// The image ids of the image rows that take part in `pairs`, from the image store's sidecar.
    public func imageIds(of pairs: MixupPairs) throws -> [ItemID] {
        try pairs.imageRows.map { i in
            guard i < imageRows.count, let value = imageRows[i]["image_id"], let id = ItemID(json: value) else {
                throw GapError.invalidParameter(name: "image_id", value: "row \(i + 1) of \(imageName)", reason: "missing, or not an integer or a string")
            }
            return id
        }
    }
}
