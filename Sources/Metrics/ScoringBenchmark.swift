import Foundation
import Tensor

/// Timings of BLEU-1..4, ROUGE-L and CIDEr-D on a seeded synthetic corpus, for `clipcap bench evaluate`.
/// The corpus is already tokenized (the Java tokenizer is outside the comparison, as the issue states);
/// `scripts/bench_evaluate_py.py` times pycocoevalcap's Python scorers on the same corpus, written by
/// `corpus(images:seed:)` as JSON.
public enum ScoringBenchmark {
    /// `images` samples of one candidate and five references, 8–14 words each, drawn from a 400-word
    /// vocabulary with a Zipf-like skew (word k with weight 1/(k+1)), so n-grams repeat as in real captions.
    public static func corpus(images: Int, seed: UInt64 = 0) -> [CaptionSample] {
        var rng = SeededRNG(seed: seed)
        let vocabulary = (0..<400).map { "w\($0)" }
        var cumulative: [Double] = []
        var total = 0.0
        for k in 0..<vocabulary.count { total += 1 / Double(k + 1); cumulative.append(total) }
        func word() -> String {
            let u = rng.uniform() * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
            return vocabulary[lo]
        }
        func sentence() -> String { (0..<(8 + Int(rng.next() % 7))).map { _ in word() }.joined(separator: " ") }
        return (0..<images).map { _ in CaptionSample(candidate: sentence(), references: (0..<5).map { _ in sentence() }) }
    }

    /// Seconds for BLEU + ROUGE-L + CIDEr-D over `samples`, `repetitions` times after `warmup` untimed runs, sorted.
    public static func time(_ samples: [CaptionSample], repetitions: Int, warmup: Int) -> [Double] {
        Stopwatch.time(repetitions: repetitions, warmup: warmup) {
            _ = Bleu.score(samples)
            _ = RougeL.score(samples)
            _ = CiderD.score(samples)
        }
    }

    /// The corpus as pycocoevalcap's scorers take it: {"gts": {id: [refs]}, "res": {id: [candidate]}}.
    public static func json(_ samples: [CaptionSample]) -> String {
        func quoted(_ s: String) -> String { "\"" + s + "\"" }   // words are [a-z0-9] only
        var gts: [String] = [], res: [String] = []
        for (i, s) in samples.enumerated() {
            gts.append("\"\(i)\": [" + s.references.map(quoted).joined(separator: ", ") + "]")
            res.append("\"\(i)\": [" + quoted(s.candidate) + "]")
        }
        return "{\"gts\": {" + gts.joined(separator: ", ") + "}, \"res\": {" + res.joined(separator: ", ") + "}}\n"
    }
}
