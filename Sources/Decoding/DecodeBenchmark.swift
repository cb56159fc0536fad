import Foundation
import Tensor
import Models

/// One measurement of `DecodeBenchmark`, with the fields of `clipcap bench --json` (DESIGN §7) under their
/// JSON names. scripts/bench_decode_torch.py prints the same fields for PyTorch.
public struct DecodeMeasurement: Codable, Sendable, Equatable {
    public var kind = "decode"
    public var config = "gpt2"
    public var impl = "clipcap-swift"
    /// "greedy" or "beam-N".
    public var strategy: String
    public var batch: Int
    public var prefixLength: Int
    public var newTokens: Int
    /// Timed repetitions.
    public var n: Int
    public var minSeconds: Double
    public var medianSeconds: Double
    public var maxSeconds: Double
    /// Generated tokens per second over the batch at the median time (batch × newTokens / median).
    public var tokensPerSecond: Double
    /// Peak resident set size of the process so far (VmHWM), MiB; 0 where /proc is missing.
    public var peakRSSMegabytes: Double
    public var threads: Int

    enum CodingKeys: String, CodingKey {
        case kind, config, impl, strategy, batch, n, threads
        case prefixLength = "prefix_length", newTokens = "new_tokens"
        case minSeconds = "min_s", medianSeconds = "median_s", maxSeconds = "max_s"
        case tokensPerSecond = "tokens_per_s", peakRSSMegabytes = "peak_rss_mb"
    }
}

/// Times `CaptionDecoder` on full-size GPT-2 small with seeded random weights (no download), for
/// `clipcap bench decode`. Every row generates exactly `newTokens` tokens (no stop tokens), so the work is the
/// same as PyTorch's `generate(max_new_tokens=…, min_new_tokens=…)` in scripts/bench_decode_torch.py.
public enum DecodeBenchmark {
    /// The default grid: greedy and beam-5, batch 1 and 32, a prefix of 10 vectors, 20 new tokens.
    public static func run(batches: [Int] = [1, 32],
                           strategies: [DecodingStrategy] = [.greedy, .beam(width: 5)],
                           prefixLength: Int = 10, newTokens: Int = 20, repetitions: Int = 3, warmup: Int = 1,
                           seed: UInt64 = 0) throws -> [DecodeMeasurement] {
        let gpt2 = try GPT2(config: .small, parameters: RandomParameters(seed: seed))
        var results: [DecodeMeasurement] = []
        for strategy in strategies {
            for batch in batches {
                results.append(try measure(gpt2: gpt2, strategy: strategy, batch: batch, prefixLength: prefixLength,
                                           newTokens: newTokens, repetitions: repetitions, warmup: warmup, seed: seed))
            }
        }
        return results
    }

    /// Times one (strategy, batch) setting on `gpt2`, after `warmup` untimed runs. `config` names the model in
    /// the record.
    public static func measure(gpt2: GPT2, config: String = "gpt2", strategy: DecodingStrategy, batch: Int,
                               prefixLength: Int = 10, newTokens: Int = 20, repetitions: Int = 3, warmup: Int = 1,
                               seed: UInt64 = 0) throws -> DecodeMeasurement {
        precondition(repetitions >= 1 && warmup >= 0, "repetitions ≥ 1, warmup ≥ 0")
        var rng = SeededRNG(seed: seed &+ 1)
        // on the scale of the random token embeddings, N(0, 0.02²)
        let prefix = Tensor.randomNormal([batch, prefixLength, gpt2.config.embeddingSize], std: 0.02, rng: &rng)
        let options = DecodingOptions(strategy: strategy, maxLength: newTokens, stopTokens: [])
        let decoder = CaptionDecoder(gpt2: gpt2)
        let times = try Stopwatch.time(repetitions: repetitions, warmup: warmup) {
            _ = try decoder.decode(prefix: prefix, options: options)
        }
        let median = Stopwatch.median(times)
        let name: String
        switch strategy {
        case .greedy: name = "greedy"
        case let .beam(width): name = "beam-\(width)"
        case .sample: name = "sample"
        }
        return DecodeMeasurement(config: config, strategy: name, batch: batch, prefixLength: prefixLength, newTokens: newTokens,
                                 n: repetitions, minSeconds: times.first!, medianSeconds: median,
                                 maxSeconds: times.last!, tokensPerSecond: Double(batch * newTokens) / median,
                                 peakRSSMegabytes: Stopwatch.peakResidentMegabytes(), threads: Parallel.workers)
    }
}
