import Foundation
import Tensor
import Models

/// The model side of decoding: GPT-2 with a KV cache over a fixed set of rows, one forward per step for all
/// rows at once, and logits of the last position only.
/// Legend: R rows (the batch, or batch × beams), P prefix vectors, S start tokens, C embedding size, V vocabulary.
struct IncrementalForward {
    let gpt2: GPT2
    private var cache: GPT2KVCache?
    private var unused: [Tensor] = []

    /// A cache for `rows` rows and `capacity` positions (prefix + start tokens + every token fed back).
    init(gpt2: GPT2, rows: Int, capacity: Int) {
        self.gpt2 = gpt2
        cache = GPT2KVCache(config: gpt2.config, batch: rows, capacity: capacity)
    }

    /// Runs the prefix (R, P, C) followed by the start tokens' embeddings (as ClipCap feeds them) and returns
    /// the logits that predict the first generated token, (R, V).
    mutating func start(prefix: Tensor, startTokens: [Int]) throws -> Tensor {
        var inputs = prefix
        if !startTokens.isEmpty {
            let rows = prefix.shape[0], s = startTokens.count
            var ids: [Int32] = []
            ids.reserveCapacity(rows * s)
            for _ in 0..<rows { for t in startTokens { ids.append(Int32(t)) } }
            inputs = concatenateTokens(prefix, try gpt2.embed(ids: ids, batch: rows, tokens: s))
        }
        return gpt2.lastLogits(try gpt2.forward(inputEmbeddings: inputs, cache: &cache, hiddenStates: &unused))
    }

    /// Feeds one token per row (R ids) and returns the next logits, (R, V).
    mutating func step(_ ids: [Int32]) throws -> Tensor {
        let x = try gpt2.embed(ids: ids, batch: ids.count, tokens: 1)
        return gpt2.lastLogits(try gpt2.forward(inputEmbeddings: x, cache: &cache, hiddenStates: &unused))
    }

    /// Row i of the cache becomes old row order[i] (beam search); an identity order costs nothing.
    mutating func reorder(_ order: [Int]) {
        if order.enumerated().allSatisfy({ $0.offset == $0.element }) { return }
        cache?.reorder(order)
    }
}
