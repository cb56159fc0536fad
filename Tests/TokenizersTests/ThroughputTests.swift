import Foundation
import TestSupport
import Testing
import Tokenizers

/// Throughput on 100k synthetic captions; prints captions/s. Opt-in (`CLIPCAP_BENCH=1`) and meant for a release
/// build: `CLIPCAP_BENCH=1 swift test -c release --scratch-path .build-tok --filter ThroughputTests`.
/// Reports only: timings on a shared machine are no pass/fail signal.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CLIPCAP_BENCH"] == "1", "set CLIPCAP_BENCH=1 to measure throughput"),
       .enabled(if: Vocabularies.clip != nil && Vocabularies.gpt2 != nil, Comment(rawValue: Vocabularies.missing("clip/gpt2"))),
       .serialized)
struct ThroughputTests {
    /// Seeded caption-like text: Zipf-distributed words from a 20k-word list of English words and
    /// pseudo-words, 8–16 words, some capitals, digits and punctuation.
    static func captions(_ count: Int) -> [String] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        let common = "a an the of on in with and is are to at near two man woman dog cat people street table sitting standing"
            + " holding white black red large small next plate food bus train room field water tennis player"
        var words = common.split(separator: " ").map(String.init)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        while words.count < 20_000 {
            let n = 3 + Int(next() % 8)
            words.append(String((0..<n).map { _ in letters[Int(next() % 26)] }))
        }
        // Zipf(1) sampling by inverting the harmonic CDF approximately: rank = exp(u · ln N).
        let logN = log(Double(words.count))
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let n = 8 + Int(next() % 9)
            var caption = ""
            for i in 0..<n {
                var w = words[min(words.count - 1, Int(exp(uniform() * logN)) - 1)]
                if i == 0 { w = w.prefix(1).uppercased() + w.dropFirst() }
                if uniform() < 0.03 { w = String(next() % 100) }
                caption += (i == 0 ? "" : " ") + w
            }
            caption += uniform() < 0.7 ? "." : (uniform() < 0.5 ? " ." : "")
            out.append(caption)
        }
        return out
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test func captionsPerSecond() throws {
        let texts = Self.captions(100_000)
        var clip: CLIPTokenizer?
        var gpt2: GPT2Tokenizer?
        let loadCLIP = try Self.seconds { clip = try CLIPTokenizer(directory: #require(Vocabularies.clip)) }
        let loadGPT2 = try Self.seconds { gpt2 = try GPT2Tokenizer(directory: #require(Vocabularies.gpt2)) }
        let c = try #require(clip), g = try #require(gpt2)
        print("tokenizer load: CLIP \(String(format: "%.3f", loadCLIP)) s, GPT-2 \(String(format: "%.3f", loadGPT2)) s")
        for pass in ["cold cache", "warm cache"] {
            var tokens = 0
            let tc = Self.seconds {
                for start in stride(from: 0, to: texts.count, by: 256) {
                    let batch = c.encodeBatch(Array(texts[start..<min(start + 256, texts.count)]))
                    tokens += batch.lengths.reduce(0, +)
                }
            }
            var gTokens = 0
            let tg = Self.seconds { for t in texts { gTokens += g.encode(t).count } }
            print("CLIP encodeBatch (\(pass)): \(texts.count) captions in \(String(format: "%.3f", tc)) s = "
                + "\(Int(Double(texts.count) / tc)) captions/s, \(Int(Double(tokens) / tc)) tokens/s")
            print("GPT-2 encode (\(pass)): \(texts.count) captions in \(String(format: "%.3f", tg)) s = "
                + "\(Int(Double(texts.count) / tg)) captions/s, \(Int(Double(gTokens) / tg)) tokens/s")
        }
    }
}
