import ArgumentParser
import Data
import Decoding
import Experiments
import Foundation
import GapAnalysis
import Metrics
import Plots
import World

/// `clipcap gap stats|align`: the CLIP modality gap, measured and closed (DESIGN.md §6, §7).
/// `run()` only reads the stores, calls GapAnalysis, and writes what it returns.
struct Gap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the CLIP modality gap, and align image embeddings toward text embeddings.",
        subcommands: [GapStatsCommand.self, GapAlignCommand.self, GapMixupCommand.self])
}

/// The two stores every gap command reads.
struct GapStoreOptions: ParsableArguments {
    @Option(help: "Image embedding store NAME.safetensors (NAME.jsonl beside it holds image_id per row).")
    var image: String
    @Option(help: "Text embedding store NAME.safetensors (NAME.jsonl beside it holds image_id and caption per row).")
    var text: String

    func validate() throws {
        for (flag, path) in [("--image", image), ("--text", text)] where !path.hasSuffix(".safetensors") {
            throw ValidationError("\(flag) must name a .safetensors embedding store, got '\(path)'")
        }
    }

    var imageURL: URL { URL(fileURLWithPath: image) }
    var textURL: URL { URL(fileURLWithPath: text) }
}

struct GapStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Gap statistics of an image store and a text store, as metric,value CSV.",
        discussion: """
        All statistics use L2-normalized rows. centroid_gap is ‖mean(img) − mean(txt)‖. matched_cosine is the \
        mean cosine of matched pairs (image row ↔ text rows with the same image_id): averaged over the captions \
        of each image first, then over images. image_cone_cosine and text_cone_cosine are the mean cosines over \
        distinct pairs within each modality (the cone effect). cross_cosine is the mean image–text cosine over \
        all pairs. probe_accuracy is the held-out accuracy of a least-squares linear classifier telling image \
        rows from text rows, trained on a seeded random half of the pooled rows and tested on the other half. \
        Metrics that cannot be computed (no matched pairs, a single row) are left out.
        """)

    @OptionGroup var stores: GapStoreOptions
    @Option(help: "Write the CSV here (atomically) instead of printing it.") var out: String?
    @Option(help: "Also write the 2-D PCA scatter of both clouds (SVG) here, with segments between matched pairs.")
    var plot: String?
    @Option(help: "Most points drawn per cloud in the plot (an even subsample).") var plotPoints = 1000
    @Option(help: "Most matched-pair segments drawn in the plot.") var plotPairs = 200
    @Option(help: "Seed of the linear probe's random split.") var seed: UInt64 = 0

    func validate() throws {
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
        guard plotPoints >= 1, plotPairs >= 0 else { throw ValidationError("--plot-points must be at least 1 and --plot-pairs at least 0") }
    }

    func run() throws {
        let gap = try ModalityGap.load(image: stores.imageURL, text: stores.textURL)
        let stats = try gap.stats(probe: LinearProbe(seed: seed))
        if let out {
            try CSVWriter.write(header: ["metric", "value"], rows: stats.csvRows, to: URL(fileURLWithPath: out))
            FileHandle.standardError.write(Data("wrote gap statistics to \(out)\n".utf8))
        } else {
            print((["metric,value"] + stats.csvRows.map { $0.joined(separator: ",") }).joined(separator: "\n"))
        }
        if let plot {
            try GapPlots.scatter(gap, maxPoints: plotPoints, maxPairs: plotPairs).write(to: URL(fileURLWithPath: plot))
            FileHandle.standardError.write(Data("wrote the PCA scatter to \(plot)\n".utf8))
        }
    }
}

struct GapAlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Map the image embeddings toward the text embeddings; write the aligned store and a CSV report.",
        discussion: """
        Methods (on L2-normalized rows unless --raw):
          mean      x′ = x − mean(img) + mean(txt).
          rotation  each cloud's SVD after centering (LAPACK dgesdd), X = U·D·Vᵀ; x′ = U_img·D_img·V_txtᵀ + mean(txt). \
        Singular vectors are signed so their largest component is positive.
          ot        exact optimal transport with uniform weights (GLPK, certified optimal for all pairs), then the \
        barycentric projection x′ᵢ = Σⱼ Tᵢⱼ yⱼ / Σⱼ Tᵢⱼ; --unnormalized writes the paper's Σⱼ Tᵢⱼ yⱼ instead (rows of \
        norm ≈ 1/N) and the report gives the mean norm of both.
          sinkhorn  entropic OT (log-domain Sinkhorn, --epsilon in cost units), barycentric projection.
          memory    DeCap: x′ = Σⱼ softmax(⟨x, tⱼ⟩/τ)·tⱼ over the text rows, renormalized.
        Only memory renormalizes its output by default; --renormalize / --no-renormalize override that.
        The store --out gets one row per image row, with the image store's sidecar rows. Beside it, OUT.csv holds \
        method, cost (the transport cost for ot and sinkhorn, else the mean distance moved), iterations, seconds, \
        renormalized, the cloud sizes and the method's parameters. Both are written atomically.
        """)

    @OptionGroup var stores: GapStoreOptions
    @Option(help: "Alignment: mean | rotation | ot | sinkhorn | memory.") var method: String
    @Option(help: "Output store NAME.safetensors; NAME.jsonl and NAME.csv are written beside it.") var out: String
    @Option(help: "Ground cost for ot and sinkhorn: euclidean (default) | sqeuclidean | cosine.") var cost: String?
    @Option(help: "Entropic regularization ε for sinkhorn, in cost units (default 0.01).") var epsilon: Double?
    @Option(help: "Softmax temperature τ for memory (default 0.01, DeCap's).") var temperature: Double?
    @Option(help: "Iteration limit for sinkhorn.") var maxIterations = 10_000
    @Flag(help: "ot only: write Σⱼ Tᵢⱼ yⱼ without dividing by the row mass (the paper's T*·X).") var unnormalized = false
    @Flag(inversion: .prefixedNo, help: "L2-normalize the aligned rows (default: only for memory).") var renormalize: Bool?
    @Flag(help: "Use the embeddings as stored, without L2-normalizing the rows first.") var raw = false
    @Option(help: "Also write a histogram (SVG) of matched-pair cosines before and after the alignment.") var plot: String?

    var parsedMethod: AlignmentMethod? { AlignmentMethod(rawValue: method) }

    func validate() throws {
        guard let m = parsedMethod else {
            throw ValidationError("unknown --method '\(method)' (expected \(AlignmentMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file, got '\(out)'") }
        let target = URL(fileURLWithPath: out).standardizedFileURL
        for input in [stores.imageURL, stores.textURL] where input.standardizedFileURL == target {
            throw ValidationError("--out must differ from the input stores ('\(out)')")
        }
        if let cost {
            guard TransportCost(rawValue: cost) != nil else {
                throw ValidationError("unknown --cost '\(cost)' (expected euclidean, sqeuclidean or cosine)")
            }
            guard m == .ot || m == .sinkhorn else { throw ValidationError("--cost applies to --method ot or sinkhorn only") }
        }
        if let epsilon {
            guard m == .sinkhorn else { throw ValidationError("--epsilon applies to --method sinkhorn only") }
            guard epsilon > 0, epsilon.isFinite else { throw ValidationError("--epsilon must be positive") }
        }
        if let temperature {
            guard m == .memory else { throw ValidationError("--temperature applies to --method memory only") }
            guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be positive") }
        }
        if unnormalized && m != .ot { throw ValidationError("--unnormalized applies to --method ot only") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
    }

    func run() throws {
        guard let method = parsedMethod else { throw ValidationError("unknown --method '\(self.method)'") }
        let gap = try ModalityGap.load(image: stores.imageURL, text: stores.textURL, normalize: !raw)
        if plot != nil && gap.pairs.matchedImageCount == 0 {
            throw GapError.noMatchedPairs(image: gap.imageName, text: gap.textName)
        }
        var options = AlignmentOptions(renormalize: renormalize, unnormalized: unnormalized, sinkhornMaxIterations: maxIterations)
        if let cost { options.cost = TransportCost(rawValue: cost)! }
        if let epsilon { options.epsilon = epsilon }
        if let temperature { options.temperature = temperature }
        let interactive = isatty(STDERR_FILENO) != 0
        let alignment = try gap.align(method, options: options) { p in
            guard interactive else { return }
            let line = String(format: "ot round %d: %d columns, %d violating pairs, cost %.9f, least reduced cost %.2e (%.1fs)\n",
                              p.round, p.candidates, p.violations, p.cost, p.minimumReducedCost, p.seconds)
            FileHandle.standardError.write(Data(line.utf8))
        }
        let outURL = URL(fileURLWithPath: out)
        try alignment.writeStore(to: outURL, rows: gap.imageRows)
        let report = Alignment.reportURL(for: outURL)
        try alignment.writeReport(to: report)
        if let certificate = alignment.transport?.certificate, !certificate.isOptimal {
            FileHandle.standardError.write(Data("warning: the OT certificate does not hold (least reduced cost \(certificate.minimumReducedCost), duality gap \(certificate.dualityGap)); see \(report.path)\n".utf8))
        }
        if let plot {
            let histogram = Histogram(
                title: "Matched-pair cosine before and after \(method.rawValue) alignment", xLabel: "cosine (image, its captions)",
                series: [.init(name: "before", values: gap.matchedCosines()),
                         .init(name: "after \(method.rawValue)", values: gap.matchedCosines(of: alignment.aligned))],
                bins: 40)
            try histogram.write(to: URL(fileURLWithPath: plot))
        }
        let summary = "wrote \(gap.imageCount) aligned embeddings to \(out) and the report to \(report.path) "
            + "(\(method.rawValue), cost \(String(format: "%.6g", alignment.cost)), \(alignment.iterations) iterations, "
            + "\(String(format: "%.2f", alignment.seconds))s)\n"
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

struct GapMixupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mixup",
        abstract: "Decode and score λ·text + (1−λ)·image for each λ and model; one CSV row per (λ, model).",
        discussion: """
        For each image of --image that has captions in --text (same image_id), v is its image embedding and t \
        the embedding of its first caption, a seeded random one, or their mean (--text-choice), both \
        L2-normalized first (unless --raw). z(λ) = λ·t + (1−λ)·v is decoded by every --model (each applies its \
        own normalize_prefix and stop rule) and scored against --references (COCO captions JSON, or Karpathy JSON \
        with --split), each row's captions optionally kept as results JSON (--results). --model may be given several times, as PATH or NAME=PATH, so models trained on text and \
        on images share one table (the paper's Figure 3). --lambdas: start:stop:step (0:1:0.1) or a list \
        (0,0.5,1). Writes --out (lambda, model, images, then the metric columns) and, with --plot, the curve \
        of --plot-metric against λ (SVG). Both are written atomically; a row is reported on stderr as it finishes.
        """)

    @Option(parsing: .singleValue, help: "ClipCap checkpoint folder, as PATH or NAME=PATH (repeatable).") var model: [String]
    @OptionGroup var stores: GapStoreOptions
    @Option(help: "Reference captions: COCO captions JSON or Karpathy JSON.") var references: String
    @Option(help: "Karpathy split(s) of --references, comma-separated.") var split: String?
    @Option(help: "λ values: start:stop:step or a comma-separated list, each in [0, 1].") var lambdas = "0:1:0.1"
    @Option(help: "Caption embedding mixed with each image: first | random | mean.") var textChoice = "first"
    @Option(help: "Metrics, comma-separated, from BLEU,METEOR,ROUGE_L,CIDEr,SPICE.") var metrics = "BLEU,ROUGE_L,CIDEr"
    @Option(help: "Output CSV.") var out: String
    @Option(help: "Also write the mixup curve (SVG) here.") var plot: String?
    @Option(help: "Metric column drawn by --plot.") var plotMetric = "CIDEr"
    @Option(help: "Also write each row's captions as a COCO results JSON into this folder (mixup-MODEL-lambdaL.json).")
    var results: String?
    @Option(help: "A world's attributes.json: add attribute accuracy columns (attribute, shape, colour, relation).")
    var attributes: String?
    @Flag(help: "Mix the embeddings as stored, without L2-normalizing them first.") var raw = false
    @OptionGroup var decoding: DecodingFlags

    func validate() throws {
        guard !model.isEmpty else { throw ValidationError("give at least one --model") }
        _ = try parsedLambdas()
        guard MixupTextChoice(rawValue: textChoice) != nil else {
            throw ValidationError("unknown --text-choice '\(textChoice)' (expected first, random or mean)")
        }
        _ = try parsedMetrics()
        guard out.hasSuffix(".csv") else { throw ValidationError("--out must name a .csv file, got '\(out)'") }
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name an .svg file, got '\(plot)'") }
        let names = model.map { MixupSweep.namedModel($0).name }
        guard Set(names).count == names.count else { throw ValidationError("two --model entries share the name; use NAME=PATH") }
    }

    func parsedLambdas() throws -> [Double] {
        do { return try MixupPairs.parseLambdas(lambdas) } catch { throw ValidationError("--lambdas: \(error)") }
    }

    func parsedMetrics() throws -> [CaptionMetric] {
        let names = commaList(metrics)
        let parsed = try names.map { name -> CaptionMetric in
            guard let m = CaptionMetric(name: name) else { throw ValidationError("--metrics: unknown metric '\(name)'") }
            return m
        }
        guard !parsed.isEmpty else { throw ValidationError("--metrics names no metric") }
        return parsed
    }

    func run() throws {
        let gap = try ModalityGap.load(image: stores.imageURL, text: stores.textURL, normalize: !raw)
        let pairs = try MixupPairs(gap: gap, choice: MixupTextChoice(rawValue: textChoice)!, seed: decoding.seed)
        let refs = try EvaluationInputs.readReferences(URL(fileURLWithPath: references),
                                                       splits: split.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
        let models = try model.map(MixupSweep.namedModel).map { MixupSweep.Model(name: $0.name, captioner: try decoding.loadCaptioner($0.path)) }
        let evaluator = CaptionEvaluator(metrics: try parsedMetrics(),
                                         notice: { line in FileHandle.standardError.write(Data("clipcap: \(line)\n".utf8)) })
        let sweep = MixupSweep(models: models, strategy: decoding.strategy, maxLength: decoding.maxLength, stop: decoding.stopRule,
                               startWords: decoding.start, batchSize: decoding.batchSize,
                               scorer: RunScorer(evaluator: evaluator,
                                                 attributes: try attributes.map { try WorldAttributes.read(URL(fileURLWithPath: $0)) }))
        let start = Date()
        let resultsFolder = results.map { URL(fileURLWithPath: $0) }
        if let resultsFolder { try FileManager.default.createDirectory(at: resultsFolder, withIntermediateDirectories: true) }
        let ids = try gap.imageIds(of: pairs)
        let rows = try sweep.run(pairs: pairs, imageIds: ids, references: refs,
                                 referencesFile: references, lambdas: try parsedLambdas()) { row in
            if let resultsFolder {
                try EvaluationInputs.writeResults(zip(ids, row.captions).map { .init(imageId: $0, caption: $1) },
                                                   to: resultsFolder.appendingPathComponent("mixup-\(row.model)-lambda\(row.lambda).json"))
            }
            let shown = row.scores[plotMetric].map { String(format: "%@ %.4f", plotMetric, $0) } ?? ""
            FileHandle.standardError.write(Data(String(format: "mixup λ=%.3g %@: %@ (%d images, %.1fs)\n", row.lambda, row.model,
                                                       shown, row.images, Date().timeIntervalSince(start)).utf8))
        }
        try MixupSweep.writeCSV(rows, to: URL(fileURLWithPath: out))
        if let plot { try MixupSweep.curve(rows, metric: plotMetric).write(to: URL(fileURLWithPath: plot)) }
        FileHandle.standardError.write(Data("wrote \(rows.count) rows to \(out)\n".utf8))
    }
}
