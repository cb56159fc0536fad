import Foundation
import Testing
import Models
import Decoding

/// `DecodeBenchmark` runs and reports the fields `clipcap bench --json` prints (timed on the tiny model here;
/// the real measurement uses GPT-2 small in a release build).
@Suite struct DecodeBenchmarkTests {
    @Test func measuresAndEncodesTheBenchFields() throws {
        let m = try DecodeBenchmark.measure(gpt2: TinyModel.gpt2, config: "tiny-gpt2", strategy: .beam(width: 2), batch: 2,
                                            prefixLength: 3, newTokens: 4, repetitions: 3, warmup: 0)
        #expect(m.kind == "decode" && m.config == "tiny-gpt2" && m.strategy == "beam-2" && m.batch == 2 && m.n == 3)
        #expect(m.minSeconds > 0 && m.minSeconds <= m.medianSeconds && m.medianSeconds <= m.maxSeconds)
        #expect(m.tokensPerSecond > 0)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(m)) as? [String: Any]
        for key in ["kind", "config", "batch", "n", "min_s", "median_s", "max_s", "peak_rss_mb", "strategy", "new_tokens"] {
            #expect(json?[key] != nil, "missing \(key)")
        }
    }
}
