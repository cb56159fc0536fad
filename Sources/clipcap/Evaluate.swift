import ArgumentParser
import Data
import Foundation
import Metrics

/// `clipcap evaluate`: caption metrics at pycocoevalcap parity (DESIGN.md sections 4 and 7).
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score generated captions with BLEU-1..4, METEOR, ROUGE-L, CIDEr-D and SPICE, as pycocoevalcap does.",
        discussion: """
        Evaluates the images present in --results: each result's image_id must have reference captions in \
        --references, and must appear only once. Captions are tokenized as pycocoevalcap does (Stanford \
        PTBTokenizer 3.4.1 with -lowerCase, then its punctuation removal), here without Java.

        BLEU-1..4 (closest reference length, corpus-level clipping), ROUGE-L (beta 1.2) and CIDEr-D \
        (sigma 6, document frequencies from the references, x10) are computed in Swift with \
        pycocoevalcap's exact semantics. METEOR runs the official meteor-1.5.jar through Java \
        (-stdio -l en -norm), found at --meteor-jar, $CLIPCAP_METEOR_JAR, or inside an installed \
        pycocoevalcap (pip install pycocoevalcap); it needs about 2 GB of Java heap. SPICE runs the official \
        spice-1.0.jar only when --spice-jar is given (it needs Stanford CoreNLP in the jar's lib/ folder and \
        up to 8 GB of heap). Java is found through $JAVA_HOME or $PATH. A metric that cannot run is left \
        out with a one-line notice on stderr; it is never reported as 0.

        Output: the corpus scores on stdout, one "NAME: value" line each; with --out, a CSV with a header \
        row of pycocoevalcap's column names (BLEU_1 BLEU_2 BLEU_3 BLEU_4 METEOR ROUGE_L CIDEr SPICE, only \
        those computed) and one row of scores; with --per-image, a CSV with image_id and the same columns, \
        one row per image, in the order pycocoevalcap visits them (the order of the references' images). \
        Files are written atomically.

        Exit status: 0 on success, 1 when an input cannot be read or a scorer fails (one line on stderr \
        naming the file), 2 on a usage error. When METEOR or SPICE fails, BLEU, ROUGE-L and CIDEr (computed \
        first) are still written to --per-image before the error.
        """)

    @Option(help: #"COCO results JSON: [{"image_id": ..., "caption": "..."}, ...]."#)
    var results: String
    @Option(help: "Reference captions: a COCO captions annotation JSON, or a Karpathy split JSON (see --split).")
    var references: String
    @Option(help: "Karpathy split(s) of --references to keep, comma-separated (e.g. test, or val,test).")
    var split: String?
    @Option(help: "Write the corpus scores to this CSV (metrics.csv).")
    var out: String?
    @Option(help: "Write per-image scores to this CSV.")
    var perImage: String?
    @Option(help: "Metrics to compute, comma-separated, from BLEU,METEOR,ROUGE_L,CIDEr,SPICE (any case).")
    var metrics: String = "BLEU,METEOR,ROUGE_L,CIDEr,SPICE"
    @Option(help: "meteor-1.5.jar to run for METEOR (its data/ folder must sit beside it).")
    var meteorJar: String?
    @Option(help: "spice-1.0.jar to run for SPICE.")
    var spiceJar: String?
    @Flag(help: "Score empty captions (as pycocoevalcap does) instead of rejecting the results file.")
    var allowEmpty = false

    func validate() throws {
        _ = try selectedMetrics()
        for (flag, path) in [("--meteor-jar", meteorJar), ("--spice-jar", spiceJar)] {
            if let path, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(flag): no such file: \(path)")
            }
        }
        if let split, commaList(split).isEmpty { throw ValidationError("--split names no split") }
        if let out, let perImage, URL(fileURLWithPath: out).standardizedFileURL == URL(fileURLWithPath: perImage).standardizedFileURL {
            throw ValidationError("--out and --per-image name the same file: \(out)")
        }
    }

    func run() throws {
        let images = try EvaluationInputs.load(results: URL(fileURLWithPath: results),
                                               references: URL(fileURLWithPath: references),
                                               splits: split.map(commaList), allowEmptyCaptions: allowEmpty)
        let evaluator = CaptionEvaluator(metrics: try selectedMetrics(),
                                         meteorJar: meteorJar.map { URL(fileURLWithPath: $0) },
                                         spiceJar: spiceJar.map { URL(fileURLWithPath: $0) },
                                         notice: { line in FileHandle.standardError.write(Data("clipcap: \(line)\n".utf8)) })
        let scores: CaptionScores
        do {
            scores = try evaluator.evaluate(images)
        } catch let partial as PartialScoresError {
            // keep what was computed: per-image scores of the metrics that finished, then fail
            if let perImage, !partial.scores.columns.isEmpty {
                try partial.scores.writePerImageCSV(to: URL(fileURLWithPath: perImage))
                FileHandle.standardError.write(Data("clipcap: wrote the finished metrics (\(partial.scores.columns.joined(separator: " "))) per image to \(perImage)\n".utf8))
            }
            throw partial.underlying
        }
        for column in scores.columns {
            print("\(column): \(String(format: "%.4f", scores.corpus[column] ?? .nan))")
        }
        if let out { try scores.writeCSV(to: URL(fileURLWithPath: out)) }
        if let perImage { try scores.writePerImageCSV(to: URL(fileURLWithPath: perImage)) }
        FileHandle.standardError.write(Data("evaluated \(images.count) images\n".utf8))
    }

    private func selectedMetrics() throws -> [CaptionMetric] {
        var selected: [CaptionMetric] = []
        for name in metrics.split(separator: ",").map(String.init) where !name.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let metric = CaptionMetric(name: name) else {
                throw ValidationError("--metrics: unknown metric '\(name)' (expected BLEU, METEOR, ROUGE_L, CIDEr or SPICE)")
            }
            if !selected.contains(metric) { selected.append(metric) }
        }
        guard !selected.isEmpty else { throw ValidationError("--metrics names no metric") }
        return selected
    }
}
