import Data
import Foundation

/// The metrics pycocoevalcap's COCOEvalCap reports, by the names `--metrics` takes.
public enum CaptionMetric: String, CaseIterable, Sendable {
    case bleu = "BLEU"
    case meteor = "METEOR"
    case rougeL = "ROUGE_L"
    case cider = "CIDEr"
    case spice = "SPICE"

    /// The CSV columns this metric fills (DESIGN.md section 4; pycocoevalcap's names).
    public var columns: [String] {
        switch self {
        case .bleu: return ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4"]
        default: return [rawValue]
        }
    }

    /// Every column, in the order metrics.csv lists them.
    public static let columnOrder = allCases.flatMap(\.columns)

    /// A metric by name, ignoring case ("bleu", "CIDEr", "rouge_l"); also "ROUGE-L" and "ROUGE".
    public init?(name: String) {
        let key = name.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "-", with: "_")
        switch key {
        case "BLEU": self = .bleu
        case "METEOR": self = .meteor
        case "ROUGE_L", "ROUGE": self = .rougeL
        case "CIDER", "CIDER_D": self = .cider
        case "SPICE": self = .spice
        default: return nil
        }
    }
}

/// One image to evaluate: its candidate caption and its reference captions, raw (not yet tokenized).
public struct ImageCaptions: Sendable, Equatable {
    public var imageId: ItemID
    public var candidate: String
    public var references: [String]

    public init(imageId: ItemID, candidate: String, references: [String]) {
        self.imageId = imageId
        self.candidate = candidate
        self.references = references
    }
}

/// Scores of one evaluation: corpus scores and per-image scores for the metrics that were computed.
public struct CaptionScores: Sendable, Equatable {
    /// The images, in evaluation order (`EvaluationInputs.load` gives pycocoevalcap's: the references' order).
    public var imageIds: [ItemID]
    /// The computed columns, in `CaptionMetric.columnOrder`. A metric that was not computed has no column.
    public var columns: [String]
    public var corpus: [String: Double]
    /// `perImage[column][i]` scores `imageIds[i]`.
    public var perImage: [String: [Double]]
    /// Columns added by `add(_:corpus:perImage:)`, which follow pycocoevalcap's in `columns`.
    private var extraColumns: [String] = []

    public init(imageIds: [ItemID]) {
        self.imageIds = imageIds
        columns = []
        corpus = [:]
        perImage = [:]
    }

    mutating func set(_ column: String, corpus value: Double, perImage values: [Double]) {
        corpus[column] = value
        perImage[column] = values
        columns = CaptionMetric.columnOrder.filter { corpus[$0] != nil } + extraColumns
    }

    /// Adds a score that is not one of pycocoevalcap's (such as a world's attribute accuracy) after its
    /// columns; `values` scores `imageIds` in order (NaN where the score does not apply to an image).
    public mutating func add(_ column: String, corpus value: Double, perImage values: [Double]) {
        precondition(values.count == imageIds.count, "one value per image")
        if !extraColumns.contains(column) { extraColumns.append(column) }
        set(column, corpus: value, perImage: values)
    }
}

/// pycocoevalcap's COCOEvalCap in Swift: PTB tokenization, then BLEU-1..4, ROUGE-L and CIDEr-D in Swift,
/// METEOR and SPICE through their official jars when Java and the jars are available. A metric that cannot
/// run is left out with a one-line notice; it is never reported as 0.
public struct CaptionEvaluator: Sendable {
    /// The metrics to compute; default all five.
    public var metrics: [CaptionMetric]
    /// meteor-1.5.jar; nil looks in `$CLIPCAP_METEOR_JAR` and an installed pycocoevalcap (`JavaTools.meteorJar`).
    public var meteorJar: URL?
    /// spice-1.0.jar; SPICE runs only when this is given.
    public var spiceJar: URL?
    /// SPICE's parse cache folder (its `-cache` option); nil runs without a cache.
    public var spiceCache: URL?
    /// The `java` executable; nil finds it through `$JAVA_HOME` and `$PATH`.
    public var java: URL?
    /// The environment used to find Java and the jars.
    public var environment: [String: String]
    /// Receives one-line notices, such as a metric skipped for want of Java.
    public var notice: @Sendable (String) -> Void

    public init(metrics: [CaptionMetric] = CaptionMetric.allCases, meteorJar: URL? = nil, spiceJar: URL? = nil,
                spiceCache: URL? = nil, java: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                notice: @escaping @Sendable (String) -> Void = { _ in }) {
        self.metrics = metrics
        self.meteorJar = meteorJar
        self.spiceJar = spiceJar
        self.spiceCache = spiceCache
        self.java = java
        self.environment = environment
        self.notice = notice
    }

    /// Evaluates one candidate per image against its references, in the given order; captions are tokenized
    /// in that order too, so pass pycocoevalcap's (the references' image order, as `EvaluationInputs.load`
    /// returns it) for identical tokens where a caption's end depends on the next caption. Throws
    /// `MetricsError.invalidInput` for an empty list, a repeated image id or an image without references,
    /// and `PartialScoresError` (wrapping `MetricsError.javaFailed`) when a jar that was found fails: BLEU,
    /// ROUGE-L and CIDEr run first, so their scores come with the error.
    public func evaluate(_ images: [ImageCaptions]) throws -> CaptionScores {
        guard !images.isEmpty else { throw MetricsError.invalidInput("no images to evaluate") }
        var seen = Set<ItemID>()
        for image in images {
            guard seen.insert(image.imageId).inserted else {
                throw MetricsError.invalidInput("image_id \(image.imageId) appears more than once")
            }
            guard !image.references.isEmpty else {
                throw MetricsError.invalidInput("image_id \(image.imageId) has no reference captions")
            }
        }
        let samples = try Self.tokenize(images)
        let wanted = Set(metrics)
        var scores = CaptionScores(imageIds: images.map(\.imageId))

        if wanted.contains(.bleu) {
            let bleu = Bleu.score(samples)
            for k in 0..<4 { scores.set("BLEU_\(k + 1)", corpus: bleu.corpus[k], perImage: bleu.perImage[k]) }
        }
        if wanted.contains(.rougeL) {
            let rouge = RougeL.score(samples)
            scores.set("ROUGE_L", corpus: rouge.corpus, perImage: rouge.perImage)
        }
        if wanted.contains(.cider) {
            let cider = CiderD.score(samples)
            scores.set("CIDEr", corpus: cider.corpus, perImage: cider.perImage)
        }
        // The Java metrics last: when a jar fails, the scores computed so far travel with the error.
        do {
            if wanted.contains(.meteor) {
                let found = JavaTools.meteorJar(configured: meteorJar, environment: environment)
                let missing = meteorJar.map { "\($0.path) does not exist" }
                    ?? "meteor-1.5.jar not found (give --meteor-jar, set CLIPCAP_METEOR_JAR, or pip install pycocoevalcap)"
                if let tool = javaTool("METEOR", jar: found, missing: missing) {
                    let meteor = try MeteorScorer(jar: tool.jar, java: tool.java).score(samples)
                    scores.set("METEOR", corpus: meteor.corpus, perImage: meteor.perImage)
                }
            }
            if wanted.contains(.spice) {
                let found = spiceJar.flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil }
                let missing = spiceJar.map { "\($0.path) does not exist" } ?? "no SPICE jar given (--spice-jar)"
                if let tool = javaTool("SPICE", jar: found, missing: missing) {
                    let spice = try SpiceScorer(jar: tool.jar, java: tool.java, cacheDirectory: spiceCache)
                        .score(samples, imageIds: scores.imageIds)
                    scores.set("SPICE", corpus: spice.corpus, perImage: spice.perImage)
                }
            }
        } catch {
            throw PartialScoresError(scores: scores, underlying: error)
        }
        return scores
    }

    /// The jar and java for a Java metric, or nil after a notice saying why the metric is skipped.
    private func javaTool(_ name: String, jar: URL?, missing: String) -> (jar: URL, java: URL)? {
        guard let jar else {
            notice("\(name) skipped: \(missing)")
            return nil
        }
        guard let java = java ?? JavaTools.java(environment: environment) else {
            notice("\(name) skipped: java not found (install Java or set JAVA_HOME)")
            return nil
        }
        return (jar, java)
    }

    /// PTB-tokenizes references and candidates as pycocoevalcap does: each set as one stream, references
    /// image by image in their given order.
    static func tokenize(_ images: [ImageCaptions]) throws -> [CaptionSample] {
        let tokenizer = try PTBTokenizer.shared()
        let references = tokenizer.tokenizeCaptions(images.flatMap(\.references))
        let candidates = tokenizer.tokenizeCaptions(images.map(\.candidate))
        var samples: [CaptionSample] = []
        samples.reserveCapacity(images.count)
        var k = 0
        for (image, candidate) in zip(images, candidates) {
            samples.append(CaptionSample(candidate: candidate, references: Array(references[k..<(k + image.references.count)])))
            k += image.references.count
        }
        return samples
    }
}

/// A metric failed after others were computed; `scores` holds those, so a caller can still write them.
/// Describes itself as the underlying error.
public struct PartialScoresError: Error, CustomStringConvertible {
    public var scores: CaptionScores
    public var underlying: any Error
    public var description: String { "\(underlying)" }
}
