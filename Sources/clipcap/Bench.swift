import ArgumentParser
import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Tensor

/// `clipcap bench KIND`: times a hot path on full-size models with seeded random weights (no download)
/// and prints one JSON object per measurement (DESIGN §7). The PyTorch/POT/numpy side prints the same
/// fields: scripts/bench_torch.py (embed), bench_decode_torch.py, bench_train_torch.py, bench_evaluate_py.py,
/// bench_gap_torch.py.
struct Bench: ParsableCommand {
    static let kinds = ["embed-text", "embed-image", "decode", "train", "evaluate", "ot", "svd"]

    static let configuration = CommandConfiguration(
        abstract: "Time a hot path on full-size models with seeded random weights; prints JSON.",
        discussion: """
        KIND: \(kinds.joined(separator: " | ")).
          embed-text   CLIP ViT-B/32 text tower, --batch captions (64) of --tokens tokens (20)
          embed-image  CLIP ViT-B/32 vision tower, --batch images (16)
          decode       GPT-2 small, greedy and beam-5 (or --strategy), --tokens new tokens (20) from a
                       --prefix-length prefix (10), at batch 1 and 32 (or --batch)
          train        one ClipCap optimizer step on GPT-2 small: MLP mapper + fine-tuned GPT-2 and Transformer mapper
                       (8 layers, clip length 10) + frozen GPT-2 (or --variant), --batch 8, --prefix-length 10, --tokens 20
          evaluate     BLEU-1..4, ROUGE-L and CIDEr-D on --batch tokenized images (5000) of 5 references;
                       --corpus FILE writes the corpus for scripts/bench_evaluate_py.py
          ot           exact OT (GLPK, certified) between two normalized clouds of --batch rows (2000), --dim 512
          svd          thin SVD of a centered --batch × --dim cloud (40000 × 512)
        The models are built with seeded random weights, so nothing is downloaded.
        """)

    @Argument(help: "What to time: \(kinds.joined(separator: " | ")).") var kind: String
    @Option(help: "Model configuration: clip-vit-b32 (embed-*) or gpt2 (decode).") var config: String?
    @Option(help: "Batch size, or rows of the cloud for ot and svd (default per kind, see above).") var batch: Int?
    @Option(help: "Tokens per caption (embed-text) or new tokens (decode).") var tokens: Int?
    @Option(help: "decode: greedy | beam (default: both).") var strategy: String?
    @Option(help: "decode: beam width.") var beam = 5
    @Option(help: "train: mlp-finetune | transformer-frozen (default: both).") var variant: String?
    @Option(help: "decode: prefix vectors before the generated tokens.") var prefixLength = 10
    @Option(help: "ot, svd: embedding width.") var dim = 512
    @Option(help: "ot: euclidean | sqeuclidean | cosine.") var cost = "euclidean"
    @Option(help: "evaluate: also write the corpus as JSON here (for scripts/bench_evaluate_py.py).") var corpus: String?
    @Option(name: .customLong("n"), help: "Timed repetitions (default 5; 3 for decode and ot).") var repetitions: Int?
    @Option(help: "Untimed repetitions first.") var warmup = 1
    @Option(help: "Seed for the random weights and inputs.") var seed: UInt64 = 0
    @Flag(help: "Print JSON (the only output format; accepted for scripts).") var json = false

    func validate() throws {
        guard Self.kinds.contains(kind) else {
            throw ValidationError("unknown bench kind '\(kind)' (expected \(Self.kinds.joined(separator: ", ")))")
        }
        let expected = kind.hasPrefix("embed") ? "clip-vit-b32" : kind == "decode" || kind == "train" ? "gpt2" : nil
        if let config, config != expected {
            throw ValidationError("unknown --config '\(config)' for \(kind) (expected \(expected ?? "none"))")
        }
        guard (repetitions ?? 1) >= 1, warmup >= 0, (batch ?? 1) >= 1, (tokens ?? 2) >= 1, beam >= 1,
              prefixLength >= 1, dim >= 1 else {
            throw ValidationError("--n, --batch, --tokens, --beam, --prefix-length and --dim must be positive")
        }
        if kind == "embed-text", let tokens, !(2...77).contains(tokens) { throw ValidationError("--tokens must be 2...77 for embed-text") }
        if let strategy, !["greedy", "beam"].contains(strategy) { throw ValidationError("--strategy must be greedy or beam") }
        if TransportCost(rawValue: cost) == nil { throw ValidationError("--cost must be euclidean, sqeuclidean or cosine") }
    }

    func run() throws {
        switch kind {
        case "embed-text", "embed-image": try runEmbed()
        case "decode": try runDecode()
        case "train": try runTrain()
        case "evaluate": try runEvaluate()
        default: try runGap()
        }
    }

    private func runEmbed() throws {
        let cfg = CLIPConfig.vitB32
        let model = try CLIPModel(config: cfg, parameters: RandomParameters(seed: seed))
        var rng = SeededRNG(seed: seed &+ 1)
        let b: Int
        let body: () throws -> Void
        let length = tokens ?? 20
        if kind == "embed-text" {
            b = batch ?? 64
            // random words between start (49406) and end (49407), as a tokenized caption looks
            var ids = [Int32](repeating: 0, count: b * length)
            for r in 0..<b {
                ids[r * length] = 49406
                for j in 1..<(length - 1) { ids[r * length + j] = Int32(rng.next() % 49000) + 256 }
                ids[r * length + length - 1] = 49407
            }
            body = { _ = try model.text.embed(ids: ids, batch: b, tokens: length) }
        } else {
            b = batch ?? 16
            let s = cfg.visionConfig.imageSize
            let pixels = Tensor.randomNormal([b, 3, s, s], std: 1, rng: &rng)
            body = { _ = try model.vision.embed(pixels: pixels) }
        }
        let times = try Stopwatch.time(repetitions: repetitions ?? 5, warmup: warmup, body)
        var record: [String: Any] = [
            "kind": kind, "config": "clip-vit-b32", "batch": b, "items_per_s": Double(b) / Stopwatch.median(times),
        ]
        if kind == "embed-text" { record["tokens"] = length }
        try emit(record, times: times)
    }

    private func runDecode() throws {
        let strategies: [DecodingStrategy] = switch strategy {
        case "greedy": [.greedy]
        case "beam": [.beam(width: beam)]
        default: [.greedy, .beam(width: beam)]
        }
        for m in try DecodeBenchmark.run(batches: batch.map { [$0] } ?? [1, 32], strategies: strategies,
                                         prefixLength: prefixLength, newTokens: tokens ?? 20,
                                         repetitions: repetitions ?? 3, warmup: warmup, seed: seed) {
            let data = try JSONEncoder.sorted.encode(m)
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func runEvaluate() throws {
        let samples = ScoringBenchmark.corpus(images: batch ?? 5000, seed: seed)
        if let corpus { try AtomicWrite.write(Data(ScoringBenchmark.json(samples).utf8), to: URL(fileURLWithPath: corpus)) }
        let times = ScoringBenchmark.time(samples, repetitions: repetitions ?? 5, warmup: warmup)
        try emit(["kind": kind, "config": "bleu+rouge_l+cider, 5 refs", "batch": samples.count], times: times)
    }

    private func runGap() throws {
        let t: GapBenchmark.Timing
        if kind == "ot" {
            t = try GapBenchmark.ot(n: batch ?? 2000, dimension: dim, cost: TransportCost(rawValue: cost)!,
                                    repetitions: repetitions ?? 3, warmup: warmup, seed: seed)
        } else {
            t = try GapBenchmark.svd(n: batch ?? 40000, dimension: dim, repetitions: repetitions ?? 5, warmup: warmup, seed: seed)
        }
        var record: [String: Any] = ["kind": t.kind, "config": t.config, "batch": t.batch]
        for (k, v) in t.details { record[k] = v }
        try emit(record, times: [t.minSeconds, t.medianSeconds, t.maxSeconds], n: t.repetitions)
    }

    /// Prints `record` plus the common fields (n, min_s, median_s, max_s, peak_rss_mb, impl, threads) as one JSON line.
    func emit(_ record: [String: Any], times: [Double], n: Int? = nil) throws {
        var record = record
        record["n"] = n ?? times.count
        record["min_s"] = times.min()!
        record["median_s"] = n == nil ? Stopwatch.median(times) : times[1]
        record["max_s"] = times.max()!
        record["peak_rss_mb"] = Stopwatch.peakResidentMegabytes()
        record["impl"] = "clipcap-swift"
        record["threads"] = Parallel.workers
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

extension JSONEncoder {
    /// Compact JSON with sorted keys: one line per record, stable for scripts and diffs.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
