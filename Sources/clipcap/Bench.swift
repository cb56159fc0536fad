import ArgumentParser
import Foundation
import Models
import Tensor

/// `clipcap bench KIND`: times a hot path on full-size models with seeded random weights (no download)
/// and prints one JSON object per measurement. scripts/bench_torch.py prints the same fields for PyTorch.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time a hot path on full-size models with seeded random weights; prints JSON.",
        discussion: """
        KIND: embed-text | embed-image. The models are built from --config with seeded random weights,
        so nothing is downloaded. Compare against PyTorch with scripts/bench_torch.py (same options).
        """)

    @Argument(help: "What to time: embed-text | embed-image.") var kind: String
    @Option(help: "Model configuration: clip-vit-b32.") var config = "clip-vit-b32"
    @Option(help: "Batch size (default: 64 for embed-text, 16 for embed-image).") var batch: Int?
    @Option(help: "Caption length in tokens, start and end included (embed-text).") var tokens = 20
    @Option(name: .customLong("n"), help: "Timed repetitions.") var repetitions = 5
    @Option(help: "Untimed repetitions first.") var warmup = 1
    @Option(help: "Seed for the random weights and inputs.") var seed: UInt64 = 0
    @Flag(help: "Print JSON (the only output format; accepted for scripts).") var json = false

    func validate() throws {
        guard ["embed-text", "embed-image"].contains(kind) else {
            throw ValidationError("unknown bench kind '\(kind)' (expected embed-text or embed-image)")
        }
        guard config == "clip-vit-b32" else { throw ValidationError("unknown --config '\(config)' (expected clip-vit-b32)") }
        guard repetitions >= 1, warmup >= 0, (batch ?? 1) >= 1, tokens >= 2, tokens <= 77 else {
            throw ValidationError("--n, --batch and --tokens must be positive (tokens 2...77)")
        }
    }

    func run() throws {
        let cfg = CLIPConfig.vitB32
        let model = try CLIPModel(config: cfg, parameters: RandomParameters(seed: seed))
        var rng = SeededRNG(seed: seed &+ 1)
        let b: Int
        let body: () throws -> Void
        switch kind {
        case "embed-text":
            b = batch ?? 64
            // random words between start (49406) and end (49407), as a tokenized caption looks
            var ids = [Int32](repeating: 0, count: b * tokens)
            for r in 0..<b {
                ids[r * tokens] = 49406
                for j in 1..<(tokens - 1) { ids[r * tokens + j] = Int32(rng.next() % 49000) + 256 }
                ids[r * tokens + tokens - 1] = 49407
            }
            body = { _ = try model.text.embed(ids: ids, batch: b, tokens: tokens) }
        default:
            b = batch ?? 16
            let s = cfg.visionConfig.imageSize
            let pixels = Tensor.randomNormal([b, 3, s, s], std: 1, rng: &rng)
            body = { _ = try model.vision.embed(pixels: pixels) }
        }
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        var record: [String: Any] = [
            "kind": kind, "config": config, "batch": b, "n": repetitions, "impl": "clipcap-swift",
            "min_s": times.first!, "median_s": median, "max_s": times.last!,
            "items_per_s": Double(b) / median, "peak_rss_mb": peakRSSMegabytes(), "threads": Parallel.workers,
        ]
        if kind == "embed-text" { record["tokens"] = tokens }
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Peak resident set size of this process (VmHWM), in MiB; 0 where /proc is not available.
func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}
