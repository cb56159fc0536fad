import Foundation
import Testing
import Tensor
import Models
import TestSupport

/// GPT-2 against transformers' GPT2LMHeadModel (fixtures from Tests/Fixtures/gen_models.py).
/// Logits are O(10) (tied head over random ±0.2 embeddings); 1e-5 absolute plus 1e-6 relative.
@Suite struct GPT2ParityTests {
    let model: GPT2
    let ref: SafeTensorsFile
    let ids: [Int32]
    let b: Int, t: Int

    init() throws {
        model = try GPT2(folder: fixturesDirectory.appendingPathComponent("tiny-gpt2"))
        ref = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("tiny-gpt2-outputs.safetensors").path)
        let (shape, values) = try ref.integers("input_ids")
        (b, t, ids) = (shape[0], shape[1], values.map { Int32($0) })
    }

    @Test func logitsAndHiddenStatesFromIds() throws {
        var cache: GPT2KVCache? = nil
        var hidden: [Tensor] = []
        let h = try model.forward(inputEmbeddings: try model.embed(ids: ids, batch: b, tokens: t), cache: &cache,
                                  collectHiddenStates: true, hiddenStates: &hidden)
        #expect(hidden.count == model.config.layers + 1)
        for (i, x) in hidden.enumerated() {
            expectClose(x.scalars, try ref.tensor("hidden_\(i)").scalars, atol: 1e-5, "hidden \(i)")
        }
        expectClose(model.logits(h).scalars, try ref.tensor("logits").scalars, atol: 1e-5, rtol: 1e-6, "logits")
    }

    @Test func logitsFromPrefixEmbeddings() throws {
        let logits = try model.logits(prefix: try ref.tensor("prefix"), ids: ids, batch: b, tokens: t)
        expectClose(logits.scalars, try ref.tensor("prefix_logits").scalars, atol: 1e-5, rtol: 1e-6, "prefix logits")
    }

    /// The KV cache gives the same logits as a full forward: prefix first, then one token at a time.
    @Test func kvCacheMatchesFullForward() throws {
        let prefix = try ref.tensor("prefix")
        let full = try ref.tensor("prefix_logits")   // (B, P + T, V)
        let p = prefix.shape[1], v = model.config.vocabSize
        var cache: GPT2KVCache? = GPT2KVCache(config: model.config, batch: b, capacity: p + t)
        var unused: [Tensor] = []
        var h = try model.forward(inputEmbeddings: prefix, cache: &cache, hiddenStates: &unused)
        var step = model.lastLogits(h)
        func expectStep(_ pos: Int) {
            var want: [Float] = []
            for r in 0..<b { want += Array(full.scalars[((r * (p + t) + pos) * v)..<((r * (p + t) + pos + 1) * v)]) }
            expectClose(step.scalars, want, atol: 1e-5, rtol: 1e-6, "cached step at position \(pos)")
        }
        expectStep(p - 1)
        for j in 0..<t {
            let col = (0..<b).map { ids[$0 * t + j] }
            h = try model.forward(inputEmbeddings: try model.embed(ids: col, batch: b, tokens: 1), cache: &cache, hiddenStates: &unused)
            step = model.lastLogits(h)
            expectStep(p + j)
        }
        #expect(cache?.length == p + t)
    }

    @Test func rejectsBadInputs() throws {
        #expect(throws: ModelError.self) { try model.embed(ids: [120], batch: 1, tokens: 1) }
        #expect(throws: ModelError.self) { try model.logits(prefix: Tensor(zeros: [1, 2, 5]), ids: [1], batch: 1, tokens: 1) }
        var cache: GPT2KVCache? = GPT2KVCache(config: model.config, batch: 1, capacity: 2)
        var unused: [Tensor] = []
        #expect(throws: ModelError.self) {
            try model.forward(inputEmbeddings: Tensor(zeros: [1, 3, 36]), cache: &cache, hiddenStates: &unused)
        }
    }
}
