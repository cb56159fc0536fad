import Data
import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Plots
import Tensor
import Tokenizers
import Training
import World

/// `clipcap run`: a manifest's stages, in order, into `runs/NAME/` (DESIGN.md §8).
///
/// Stages: embed (the CLIP stores: train, eval image, eval text), train, decode, evaluate, gap (stats,
/// alignments decoded and scored, mixup). Each stage records a hash of its inputs (the manifest keys it
/// reads and fingerprints of the files it reads) in `stages/STAGE.json`; a rerun skips a stage whose hash is
/// unchanged and whose outputs exist, so a changed key reruns exactly the stages that depend on it.
/// File fingerprints are SHA-256 of the content for files up to 16 MiB, and size + modification time +
/// SHA-256 of the first MiB above that (model weights), which a changed checkpoint always changes.
public final class ExperimentRunner {
    public enum Stage: String, CaseIterable, Sendable { case embed, train, decode, evaluate, gap }

    public let manifest: Manifest
    public let folder: URL
    public let log: RunLog

    /// `runs`: the folder that holds run folders (default `runs`, relative to the current directory).
    public init(manifest: Manifest, runs: URL = URL(fileURLWithPath: "runs"), echo: Bool = true) throws {
        self.manifest = manifest
        folder = runs.appendingPathComponent(manifest.name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        log = try RunLog(url: folder.appendingPathComponent("log.txt"), echo: echo)
    }

    // MARK: - Paths

    func path(_ relative: String) -> URL { folder.appendingPathComponent(relative) }
    var trainStore: URL { manifest.embeddings.train.map { URL(fileURLWithPath: $0) } ?? path("embeddings/train.safetensors") }
    var evalImageStore: URL { manifest.embeddings.evalImage.map { URL(fileURLWithPath: $0) } ?? path("embeddings/eval_image.safetensors") }
    var evalTextStore: URL { manifest.embeddings.evalText.map { URL(fileURLWithPath: $0) } ?? path("embeddings/eval_text.safetensors") }
    var checkpoint: URL { path("checkpoints/latest") }
    var results: URL { path("results/\(manifest.data.evalSplit).json") }
    var datasetURL: URL { URL(fileURLWithPath: manifest.data.dataset) }

    // MARK: - Running

    /// Runs `stages` (all by default) in order. `resume` continues an interrupted training.
    public func run(stages: [Stage] = Stage.allCases, resume: Bool = false) throws {
        try manifest.validatePaths(relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try checkSplits(stages)
        try AtomicWrite.write(Foundation.Data(manifest.resolvedYAML().utf8), to: path("manifest.resolved.yaml"))
        try writeProvenance()
        log.line("run \(manifest.name): stages \(stages.map(\.rawValue).joined(separator: ", ")) into \(folder.path)")
        let start = Stopwatch.now()
        for stage in Stage.allCases where stages.contains(stage) {
            switch stage {
            case .embed:
                try embedStore(.train)
                try embedStore(.evalImage)
                try embedStore(.evalText)
            case .train: try trainStage(resume: resume)
            case .decode: try decodeStage()
            case .evaluate: try evaluateStage()
            case .gap: try gapStage()
            }
        }
        log.line("run \(manifest.name): done in \(RunLog.duration(Stopwatch.now() - start))")
    }

    /// A split the dataset does not have fails here, before any long stage: the train split when the train
    /// store must be made or captions are read for image training, the eval split when an eval store must be
    /// made or captions are scored.
    func checkSplits(_ stages: [Stage]) throws {
        let trains = stages.contains(.embed) || stages.contains(.train)
        let needTrain = trains && (manifest.embeddings.train == nil || manifest.train.modality == .image)
        let needEval = stages.contains(where: { $0 != .train })
        if needTrain { _ = try Datasets.captions(from: datasetURL, splits: manifest.data.trainSplit) }
        if needEval { _ = try Datasets.captions(from: datasetURL, splits: [manifest.data.evalSplit]) }
    }

    /// Runs `body` unless the stage's record matches `inputs` and every output exists; records the hash after.
    func stage(_ name: String, inputs: [String], outputs: [URL], _ body: () throws -> Void) throws {
        let hash = SHA256.hex(Array(inputs.joined(separator: "\n").utf8))
        let record = path("stages/\(name).json")
        if let data = try? Foundation.Data(contentsOf: record), let saved = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)),
           saved["hash"]?.stringValue == hash, outputs.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
            log.line("\(name): up to date, skipped")
            return
        }
        let t0 = Stopwatch.now()
        log.line("\(name): running")
        try body()
        try AtomicWrite.write(Foundation.Data(JSONValue.object(["hash": .string(hash), "seconds": .double(Stopwatch.now() - t0)]).description.utf8),
                              to: record)
        log.line("\(name): finished in \(RunLog.duration(Stopwatch.now() - t0))")
    }

    func keys(_ keys: [String]) throws -> String { "keys " + (try manifest.contentHash(of: keys)) }

    /// A file's fingerprint (see the type's notes); a missing file fingerprints as "missing".
    static func fingerprint(_ url: URL) -> String {
        let fm = FileManager.default
        guard let attributes = try? fm.attributesOfItem(atPath: url.path), let size = attributes[.size] as? Int else {
            return "\(url.path) missing"
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "\(url.path) unreadable" }
        defer { try? handle.close() }
        if size <= 16 << 20 {
            return "\(url.path) sha256 \(SHA256.hex(handle.readDataToEndOfFile()))"
        }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(url.path) size \(size) mtime \(modified) head \(SHA256.hex(handle.readData(ofLength: 1 << 20)))"
    }

    // MARK: - Embed

    enum StoreKind: String { case train, evalImage = "eval_image", evalText = "eval_text" }

    /// Makes one CLIP store unless the manifest names a precomputed one or it is up to date.
    func embedStore(_ kind: StoreKind) throws {
        let given: String? = switch kind {
        case .train: manifest.embeddings.train
        case .evalImage: manifest.embeddings.evalImage
        case .evalText: manifest.embeddings.evalText
        }
        if let given {
            guard FileManager.default.fileExists(atPath: given) else {
                throw RunError.missingInput(stage: "embed", path: given, hint: "embeddings.\(kind.rawValue) in the manifest")
            }
            return
        }
        let out = path("embeddings/\(kind.rawValue).safetensors")
        let images = kind == .evalImage || (kind == .train && manifest.train.modality == .image)
        let splits = kind == .train ? manifest.data.trainSplit : [manifest.data.evalSplit]
        let clip = URL(fileURLWithPath: manifest.model.clip)
        try stage("embed \(kind.rawValue)", inputs: [
            try keys(["data.dataset", "data.images", "model.clip"] + (kind == .train ? ["data.train_split", "train.modality"] : ["data.eval_split"])),
            Self.fingerprint(datasetURL), Self.fingerprint(clip.appendingPathComponent("model.safetensors")),
        ], outputs: [out]) {
            let model = try CLIPModel(folder: clip)
            if images {
                let records = try Datasets.images(from: datasetURL, imagesRoot: URL(fileURLWithPath: manifest.data.images), splits: splits)
                let embeddings = try CLIPEmbedder.images(records.map(\.path), model: model, clipFolder: clip, batchSize: 16,
                                                         progress: progress("embed \(kind.rawValue)", total: records.count, unit: "images"))
                try EmbeddingStore.write(embeddings: embeddings, rows: records, to: out)
                log.line("embed \(kind.rawValue): \(records.count) images → \(out.path)")
            } else {
                let records = try Datasets.captions(from: datasetURL, splits: splits)
                let embeddings = try CLIPEmbedder.captions(records.map(\.caption), model: model.text, tokenizer: try CLIPTokenizer(directory: clip),
                                                           projectionDim: model.config.projectionDim, batchSize: 64,
                                                           progress: progress("embed \(kind.rawValue)", total: records.count, unit: "captions"))
                try EmbeddingStore.write(embeddings: embeddings, rows: records, to: out)
                log.line("embed \(kind.rawValue): \(records.count) captions → \(out.path)")
            }
        }
    }

    /// A progress callback drawing "LABEL done/total unit (rate, ETA)" through the run log.
    func progress(_ label: String, total: Int, unit: String) -> (Int) -> Void {
        var done = 0
        let start = Stopwatch.now(), keepEvery = max(1, total / 10)
        var lastKept = 0
        return { [log] n in
            done += n
            let rate = Double(done) / max(Stopwatch.now() - start, 1e-9)
            let keep = done - lastKept >= keepEvery || done >= total
            if keep { lastKept = done }
            log.progress(String(format: "%@ %d/%d %@ (%.1f %@/s, ETA %@)", label, done, total, unit, rate, unit,
                                RunLog.duration(Double(total - done) / max(rate, 1e-9))), keep: keep)
        }
    }

    // MARK: - Train

    func trainStage(resume: Bool) throws {
        try embedStore(.train)
        let gpt2 = URL(fileURLWithPath: manifest.model.gpt2)
        var inputs = [try keys(TrainingRun.hashedKeys), Self.fingerprint(trainStore), Self.fingerprint(gpt2.appendingPathComponent("model.safetensors"))]
        if let initial = manifest.model.initCheckpoint { inputs.append(Self.fingerprint(URL(fileURLWithPath: initial).appendingPathComponent("model.safetensors"))) }
        try stage("train", inputs: inputs, outputs: [checkpoint.appendingPathComponent("model.safetensors"), path("train_log.csv")]) {
            _ = try TrainingRun(manifest: manifest, runFolder: folder, log: log).run(store: trainStore, resume: resume)
        }
    }

    // MARK: - Decode and evaluate

    func captioner() throws -> Captioner {
        guard FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("model.safetensors").path) else {
            throw RunError.missingInput(stage: "decode", path: checkpoint.path, hint: "run the train stage first")
        }
        return try Captioner(checkpoint: checkpoint, gpt2Folder: URL(fileURLWithPath: manifest.model.gpt2))
    }

    func decodingOptions(_ captioner: Captioner) throws -> DecodingOptions {
        try captioner.options(strategy: manifest.decodingStrategy, maxLength: manifest.decode.maxLength,
                              stop: manifest.decode.stop, startWords: manifest.decode.start)
    }

    /// Captions for every image of an image store (one per image_id), aligned first when `align` is set.
    func decode(store: URL, align: AlignmentMethod?, captioner: Captioner, label: String) throws -> [EvaluationInputs.Result] {
        var images = try EmbeddingStore.read(store)
        if let align {
            let gap = try ModalityGap(image: images, text: try EmbeddingStore.read(evalTextStore))
            images.embeddings = try gap.align(align).aligned
        }
        let (ids, rows) = try images.firstRowPerImage()
        let captions = try captioner.captions(for: images.embeddings.gather(rows: rows), options: try decodingOptions(captioner),
                                              progress: progress(label, total: rows.count, unit: "images"))
        return zip(ids, captions).map { EvaluationInputs.Result(imageId: $0, caption: $1) }
    }

    var decodeInputs: [String] {
        get throws {
            [try keys(["decode", "model.gpt2"]), Self.fingerprint(checkpoint.appendingPathComponent("model.safetensors")),
             Self.fingerprint(evalImageStore)] + (manifest.decode.align != nil ? [Self.fingerprint(evalTextStore)] : [])
        }
    }

    func decodeStage() throws {
        try embedStore(.evalImage)
        if manifest.decode.align != nil { try embedStore(.evalText) }
        try stage("decode", inputs: try decodeInputs, outputs: [results]) {
            let results = try decode(store: evalImageStore, align: manifest.decode.align, captioner: try captioner(), label: "decode")
            try EvaluationInputs.writeResults(results, to: self.results)
            log.line("decode: \(results.count) captions → \(self.results.path); first: \(results.first?.caption ?? "")")
        }
    }

    func scorer() throws -> RunScorer {
        RunScorer(evaluator: CaptionEvaluator(metrics: manifest.evaluate.metrics, notice: { [log] in log.line("evaluate: \($0)") }),
                  attributes: try manifest.data.attributes.map { try WorldAttributes.read(URL(fileURLWithPath: $0)) })
    }

    func references() throws -> EvaluationInputs.References {
        try EvaluationInputs.readReferences(datasetURL, splits: [manifest.data.evalSplit])
    }

    /// Scores results against the eval split's references.
    func score(_ results: [EvaluationInputs.Result], label: String) throws -> CaptionScores {
        let images = try EvaluationInputs.pair(results, resultsFile: label, references: try references(), referencesFile: datasetURL.path)
        return try scorer().evaluate(images, label: label)
    }

    func evaluateStage() throws {
        guard FileManager.default.fileExists(atPath: results.path) else {
            throw RunError.missingInput(stage: "evaluate", path: results.path, hint: "run the decode stage first")
        }
        let metrics = path("metrics.csv")
        try stage("evaluate", inputs: [try keys(["evaluate", "data.dataset", "data.eval_split", "data.attributes"]), Self.fingerprint(datasetURL),
                                       Self.fingerprint(results)], outputs: [metrics]) {
            let scores = try score(try EvaluationInputs.readResults(results, allowEmptyCaptions: true), label: results.path)
            try scores.writeCSV(to: metrics)
            try scores.writePerImageCSV(to: path("metrics_per_image.csv"))
            log.line("evaluate: " + scores.columns.map { String(format: "%@ %.4f", $0, scores.corpus[$0] ?? .nan) }.joined(separator: ", "))
        }
    }

    // MARK: - Gap

    func gapStage() throws {
        try embedStore(.evalImage)
        try embedStore(.evalText)
        let g = manifest.gap
        let stores = [Self.fingerprint(evalImageStore), Self.fingerprint(evalTextStore)]
        if g.stats {
            try stage("gap stats", inputs: [try keys(["gap.stats", "seed"])] + stores, outputs: [path("gap/stats.csv"), path("plots/gap_scatter.svg")]) {
                let gap = try ModalityGap.load(image: evalImageStore, text: evalTextStore)
                let stats = try gap.stats(probe: LinearProbe(seed: manifest.seed))
                try CSVWriter.write(header: ["metric", "value"], rows: stats.csvRows, to: path("gap/stats.csv"))
                try GapPlots.scatter(gap, maxPoints: 1000, maxPairs: 200).write(to: path("plots/gap_scatter.svg"))
                log.line("gap stats: " + stats.csvRows.map { $0.joined(separator: " ") }.joined(separator: ", "))
            }
        }
        let scored = try decodeInputs + [try keys(["evaluate", "data.dataset", "data.eval_split", "data.attributes"]), Self.fingerprint(datasetURL)]
        if !g.align.isEmpty {
            try stage("gap align", inputs: [try keys(["gap.align"])] + stores + scored, outputs: [path("gap/alignment.csv"), path("plots/alignment.svg")]) {
                try alignmentStudy()
            }
        }
        if !g.mixup.lambdas.isEmpty {
            let others = g.mixup.namedModels.map { Self.fingerprint(URL(fileURLWithPath: $0.path).appendingPathComponent("model.safetensors")) }
            try stage("gap mixup", inputs: [try keys(["gap.mixup", "seed"])] + stores + scored + others, outputs: [path("gap/mixup.csv"), path("plots/mixup.svg")]) {
                let gap = try ModalityGap.load(image: evalImageStore, text: evalTextStore)
                let pairs = try MixupPairs(gap: gap, choice: g.mixup.textChoice, seed: manifest.seed)
                // this run's model when it has one, then gap.mixup.models
                var models: [MixupSweep.Model] = []
                if FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("model.safetensors").path) || g.mixup.models.isEmpty {
                    models.append(.init(name: manifest.name, captioner: try captioner()))
                }
                for (name, path) in g.mixup.namedModels {
                    guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("model.safetensors").path) else {
                        throw RunError.missingInput(stage: "gap mixup", path: path, hint: "gap.mixup.models names a checkpoint folder; run that manifest first")
                    }
                    models.append(.init(name: name, captioner: try Captioner(checkpoint: URL(fileURLWithPath: path))))
                }
                let sweep = MixupSweep(models: models, strategy: manifest.decodingStrategy,
                                       maxLength: manifest.decode.maxLength, stop: manifest.decode.stop, startWords: manifest.decode.start,
                                       scorer: try scorer())
                let rows = try sweep.run(pairs: pairs, imageIds: try gap.imageIds(of: pairs), references: try references(),
                                         referencesFile: datasetURL.path, lambdas: g.mixup.lambdas) { [log] row in
                    log.line(String(format: "gap mixup λ=%.3g %@: ", row.lambda, row.model)
                             + row.columns.map { String(format: "%@ %.4f", $0, row.scores[$0] ?? .nan) }.joined(separator: ", "))
                }
                try MixupSweep.writeCSV(rows, to: path("gap/mixup.csv"))
                try MixupSweep.curve(rows, metric: rows.first?.scores["CIDEr"] != nil ? "CIDEr" : (rows.first?.scores.keys.sorted().first ?? "CIDEr"))
                    .write(to: path("plots/mixup.svg"))
            }
        }
    }

    /// Each alignment of gap.align: the aligned store and its report, the matched-pair cosines before and
    /// after (histogram), then captions decoded from it and scored; one row per method (and "none") in
    /// gap/alignment.csv, and a bar chart of the metrics per method.
    func alignmentStudy() throws {
        let gap = try ModalityGap.load(image: evalImageStore, text: evalTextStore)
        let captioner = try captioner()
        var table: [(String, CaptionScores)] = [("none", try score(try decode(store: evalImageStore, align: nil, captioner: captioner, label: "align none"), label: "none"))]
        for method in manifest.gap.align {
            let alignment = try gap.align(method)
            let store = path("embeddings/aligned_\(method.rawValue).safetensors")
            try alignment.writeStore(to: store, rows: gap.imageRows)
            try alignment.writeReport(to: path("gap/align_\(method.rawValue).csv"))
            try Histogram(title: "Matched-pair cosine before and after \(method.rawValue) alignment", xLabel: "cosine (image, its captions)",
                          series: [.init(name: "before", values: gap.matchedCosines()),
                                   .init(name: "after \(method.rawValue)", values: gap.matchedCosines(of: alignment.aligned))], bins: 40)
                .write(to: path("plots/cosines_\(method.rawValue).svg"))
            let scores = try score(try decode(store: store, align: nil, captioner: captioner, label: "align \(method.rawValue)"),
                                   label: method.rawValue)
            log.line("gap align \(method.rawValue): cost \(String(format: "%.6g", alignment.cost)), " +
                     scores.columns.map { String(format: "%@ %.4f", $0, scores.corpus[$0] ?? .nan) }.joined(separator: ", "))
            table.append((method.rawValue, scores))
        }
        let columns = RunScorer.columns(table.map(\.1.columns))
        try CSVWriter.write(header: ["method"] + columns,
                            rows: table.map { row in [row.0] + columns.map { c in row.1.corpus[c].map { String(format: "%.6f", $0) } ?? "" } },
                            to: path("gap/alignment.csv"))
        try BarChart(title: "Caption metrics per alignment method", yLabel: "score", categories: table.map(\.0),
                     series: columns.map { c in .init(name: c, values: table.map { $0.1.corpus[c] ?? .nan }) })
            .write(to: path("plots/alignment.svg"))
    }

    // MARK: - Provenance

    func writeProvenance() throws {
        var versions: [String: JSONValue] = ["clipcap": .string(ClipCapVersion.string)]
        #if compiler(>=6.3)
        versions["swift"] = .string(">= 6.3")
        #else
        versions["swift"] = .string("< 6.3")
        #endif
        versions["os"] = .string(ProcessInfo.processInfo.operatingSystemVersionString)
        let models: [String: JSONValue] = [
            "clip": .string(Self.fingerprint(URL(fileURLWithPath: manifest.model.clip).appendingPathComponent("model.safetensors"))),
            "gpt2": .string(Self.fingerprint(URL(fileURLWithPath: manifest.model.gpt2).appendingPathComponent("model.safetensors"))),
        ]
        let provenance: JSONValue = .object([
            "name": .string(manifest.name), "seed": .int(Int(manifest.seed)),
            "git_commit": .string(Self.gitCommit() ?? "unknown"),
            "host": .string(ProcessInfo.processInfo.hostName),
            "started": .string(ISO8601DateFormatter().string(from: Date())),
            "versions": .object(versions), "model_files": .object(models),
            "manifest_hash": .string(try manifest.contentHash(of: ["seed", "data", "embeddings", "model", "train", "decode", "evaluate", "gap"])),
        ])
        try AtomicWrite.write(Foundation.Data(provenance.description.utf8), to: path("provenance.json"))
    }

    /// HEAD's commit of the git checkout around the current directory, read from .git without running git.
    static func gitCommit() -> String? {
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        while true {
            let head = dir.appendingPathComponent(".git/HEAD")
            if let text = try? String(contentsOf: head, encoding: .utf8) {
                let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard line.hasPrefix("ref: ") else { return line }
                let ref = String(line.dropFirst(5))
                if let commit = try? String(contentsOf: dir.appendingPathComponent(".git/\(ref)"), encoding: .utf8) {
                    return commit.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let packed = (try? String(contentsOf: dir.appendingPathComponent(".git/packed-refs"), encoding: .utf8)) ?? ""
                return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(40)) }
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }
}

/// The framework's version, recorded in provenance.json.
public enum ClipCapVersion {
    public static let string = "0.4.0"
}
