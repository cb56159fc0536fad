import Foundation
import Tensor
import Layers

// port of the semantics of transformers' modeling_gpt2.py (GPT2LMHeadModel), after nanoGPT's shape:
//   x = wte[ids] + wpe[pos];  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x));  logits = ln_f(x)·wteᵀ
// Legend: B batch, T tokens, C embedding size, NH heads, HS head size, V vocabulary.

/// One GPT-2 block, with its checkpoint names.
struct GPT2Block {
    var ln1: LayerNorm
    var attention: Linear       // c_attn: Conv1D (C, 3C), columns [q | k | v]
    var projection: Linear      // c_proj: Conv1D (C, C)
    var ln2: LayerNorm
    var mlp: FeedForward        // c_fc (C, 4C), c_proj (4C, C)

    init<P: ParameterSource>(_ p: P, config: GPT2Config) throws {
        let c = config.embeddingSize, eps = config.layerNormEps
        ln1 = try p.layerNorm("ln_1", size: c, eps: eps)
        attention = try p.conv1D("attn.c_attn", in: c, out: 3 * c)
        projection = try p.conv1D("attn.c_proj", in: c, out: c)
        ln2 = try p.layerNorm("ln_2", size: c, eps: eps)
        mlp = FeedForward(fc1: try p.conv1D("mlp.c_fc", in: c, out: config.hiddenSize),
                          fc2: try p.conv1D("mlp.c_proj", in: config.hiddenSize, out: c), activation: config.activation)
    }
}

/// Keys and values of every layer for incremental decoding: per layer (B, capacity, C), heads side by
/// side in each row, so attention reads them in place.
public struct GPT2KVCache {
    public let batch: Int
    public let capacity: Int
    /// Tokens already cached (the position of the next token).
    public private(set) var length: Int = 0
    var keys: [Tensor]
    var values: [Tensor]
    /// A spare (B, capacity, C) buffer for `reorder`, made on first use.
    private var scratch: Tensor?

    public init(config: GPT2Config, batch: Int, capacity: Int) {
        self.batch = batch
        self.capacity = min(capacity, config.positions)
        keys = (0..<config.layers).map { _ in Tensor(uninitialized: [batch, min(capacity, config.positions), config.embeddingSize]) }
        values = keys.map { Tensor(uninitialized: $0.shape) }
    }

    mutating func advance(by t: Int) { length += t }

    /// Keeps only the batch rows in `order` (beam search reordering), in that order. Rows are gathered into
    /// one scratch buffer that then swaps places with the layer's buffer, so a step allocates nothing after
    /// the first; an identity order copies nothing.
    public mutating func reorder(_ order: [Int]) {
        precondition(order.count == batch && order.allSatisfy { $0 >= 0 && $0 < batch }, "reorder indices out of range")
        if order.enumerated().allSatisfy({ $0.offset == $0.element }) { return }
        guard let shape = keys.first?.shape else { return }
        let rowSize = capacity * shape[2], used = length * shape[2]
        var spare = scratch ?? Tensor(uninitialized: shape)
        for l in keys.indices {
            for buf in [\GPT2KVCache.keys, \GPT2KVCache.values] {
                let dst = spare.mutableData, src = self[keyPath: buf][l].data
                for (i, o) in order.enumerated() { (dst + i * rowSize).update(from: src + o * rowSize, count: used) }
                swap(&spare, &self[keyPath: buf][l])
            }
        }
        scratch = spare
    }
}

/// GPT-2 with the language-model head tied to `wte`.
public struct GPT2 {
    public let config: GPT2Config
    var wte: Tensor        // (V, C); also the lm_head
    var wpe: Tensor        // (positions, C)
    var blocks: [GPT2Block]
    var lnF: LayerNorm

    /// Parameters by transformers' names; `p` may already be scoped (e.g. "transformer." or "gpt.transformer.").
    public init<P: ParameterSource>(config: GPT2Config, parameters p: P) throws {
        self.config = config
        let c = config.embeddingSize
        wte = try p.tensor("wte.weight", [config.vocabSize, c])
        wpe = try p.tensor("wpe.weight", [config.positions, c])
        blocks = try (0..<config.layers).map { try GPT2Block(p.scoped("h.\($0)."), config: config) }
        lnF = try p.layerNorm("ln_f", size: c, eps: config.layerNormEps)
    }

    /// Loads `folder/config.json` and `folder/model.safetensors`, with or without the `transformer.` prefix.
    public init(folder: URL) throws {
        let config = try GPT2Config.load(folder.appendingPathComponent("config.json"))
        var loader = try WeightLoader(path: folder.appendingPathComponent("model.safetensors").path)
        if loader.file.contains("transformer.wte.weight") { loader.prefix = "transformer." }
        try self.init(config: config, parameters: loader)
    }

    /// Token embeddings (no positions) for ids (B·T) → (B, T, C).
    public func embed(ids: [Int32], batch b: Int, tokens t: Int) throws -> Tensor {
        guard ids.count == b * t else { throw ModelError.invalidInput("ids count \(ids.count) != batch \(b) × tokens \(t)") }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.invalidInput("token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
        let c = config.embeddingSize
        var x = Tensor(uninitialized: [b, t, c])
        for (i, id) in ids.enumerated() { (x.mutableData + i * c).update(from: wte.data + Int(id) * c, count: c) }
        return x
    }

    /// Runs the blocks over input embeddings (B, T, C) (a ClipCap prefix, token embeddings, or both
    /// concatenated) and returns the hidden states after ln_f, (B, T, C). Position embeddings are added
    /// here, starting at the cache's length. With a cache, keys and values are appended to it.
    public func forward(inputEmbeddings: Tensor, cache: inout GPT2KVCache?, collectHiddenStates: Bool = false,
                        hiddenStates: inout [Tensor]) throws -> Tensor {
        guard inputEmbeddings.rank == 3, inputEmbeddings.shape[2] == config.embeddingSize else {
            throw ModelError.invalidInput("input embeddings have shape \(inputEmbeddings.shape), expected (B, T, \(config.embeddingSize))")
        }
        let b = inputEmbeddings.shape[0], t = inputEmbeddings.shape[1], c = config.embeddingSize
        let past = cache?.length ?? 0
        if let cache {
            guard cache.batch == b else { throw ModelError.invalidInput("KV cache batch \(cache.batch) != input batch \(b)") }
            guard past + t <= cache.capacity else { throw ModelError.invalidInput("KV cache capacity \(cache.capacity) exceeded") }
        }
        guard past + t <= config.positions else {
            throw ModelError.invalidInput("sequence of \(past + t) positions exceeds n_positions \(config.positions)")
        }
        let n = b * t, nh = config.heads, hs = c / nh
        var x = inputEmbeddings
        let xp0 = x.mutableData
        for r in 0..<b { for j in 0..<t { addInPlace(xp0 + (r * t + j) * c, wpe.data + (past + j) * c, count: c) } }
        if collectHiddenStates { hiddenStates.append(x) }
        var normed = Tensor(uninitialized: [n, c]), qkv = Tensor(uninitialized: [n, 3 * c])
        var attn = Tensor(uninitialized: [n, c]), proj = Tensor(uninitialized: [n, c])
        var hidden = Tensor(uninitialized: [n, config.hiddenSize])
        let qLayout = AttentionLayout(rowStride: 3 * c, batchStride: t * 3 * c)
        let outLayout = AttentionLayout(rowStride: c, batchStride: t * c)
        for (l, block) in blocks.enumerated() {
            let xp = x.mutableData   // re-fetched per layer: a collected hidden state must not see later writes
            block.ln1.forward(xp, rows: n, into: normed.mutableData)
            block.attention.forward(normed.data, rows: n, into: qkv.mutableData)
            let q = qkv.data
            let shape = AttentionShape(batch: b, queries: t, keys: past + t, heads: nh, headSize: hs, queryOffset: past, causal: true)
            if cache != nil {
                // append this step's keys and values, then attend over the whole cache
                let kc = cache!.keys[l].mutableData, vc = cache!.values[l].mutableData, cap = cache!.capacity
                for r in 0..<b {
                    for j in 0..<t {
                        let row = q + (r * t + j) * 3 * c, dst = (r * cap + past + j) * c
                        (kc + dst).update(from: row + c, count: c)
                        (vc + dst).update(from: row + 2 * c, count: c)
                    }
                }
                let cacheLayout = AttentionLayout(rowStride: c, batchStride: cap * c)
                multiHeadAttention(shape: shape, q: q, qLayout: qLayout, k: kc, kLayout: cacheLayout, v: vc, vLayout: cacheLayout,
                                   out: attn.mutableData, outLayout: outLayout, scale: 1 / Float(hs).squareRoot())
            } else {
                multiHeadAttention(shape: shape, q: q, qLayout: qLayout, k: q + c, kLayout: qLayout, v: q + 2 * c, vLayout: qLayout,
                                   out: attn.mutableData, outLayout: outLayout, scale: 1 / Float(hs).squareRoot())
            }
            block.projection.forward(attn.data, rows: n, into: proj.mutableData)
            addInPlace(xp, proj.data, count: n * c)
            block.ln2.forward(xp, rows: n, into: normed.mutableData)
            block.mlp.forward(normed.data, rows: n, hidden: hidden.mutableData, into: proj.mutableData)
            addInPlace(xp, proj.data, count: n * c)
            if collectHiddenStates && l < blocks.count - 1 { hiddenStates.append(x) }
        }
        cache?.advance(by: t)
        let xp = x.mutableData
        lnF.forward(xp, rows: n, into: xp)
        if collectHiddenStates { hiddenStates.append(x) }
        return x
    }

    /// Hidden states after ln_f → logits through the tied head: (rows, C) → (rows, V).
    public func logits(_ hidden: Tensor) -> Tensor {
        let c = config.embeddingSize, rows = hidden.count / c
        var out = Tensor(uninitialized: Array(hidden.shape.dropLast()) + [config.vocabSize])
        gemm(transB: true, m: rows, n: config.vocabSize, k: c, a: hidden.data, lda: c, b: wte.data, ldb: c,
             c: out.mutableData, ldc: config.vocabSize)
        return out
    }

    /// Logits of the last position of each row only: (B, T, C) → (B, V). The decoding fast path.
    public func lastLogits(_ hidden: Tensor) -> Tensor {
        let b = hidden.shape[0], t = hidden.shape[1], c = config.embeddingSize
        var last = Tensor(uninitialized: [b, c])
        for r in 0..<b { (last.mutableData + r * c).update(from: hidden.data + (r * t + t - 1) * c, count: c) }
        return logits(last)
    }

    /// Full logits (B, P + T, V) from an optional prefix (B, P, C) followed by token ids (B·T).
    public func logits(prefix: Tensor?, ids: [Int32], batch b: Int, tokens t: Int) throws -> Tensor {
        var inputs = try embed(ids: ids, batch: b, tokens: t)
        if let prefix {
            guard prefix.rank == 3, prefix.shape[0] == b, prefix.shape[2] == config.embeddingSize else {
                throw ModelError.invalidInput("prefix has shape \(prefix.shape), expected (\(b), P, \(config.embeddingSize))")
            }
            inputs = concatenateTokens(prefix, inputs)
        }
        var noCache: GPT2KVCache? = nil
        var unused: [Tensor] = []
        return logits(try forward(inputEmbeddings: inputs, cache: &noCache, hiddenStates: &unused))
    }
}

/// Concatenates (B, T1, C) and (B, T2, C) along the token axis.
public func concatenateTokens(_ a: Tensor, _ b: Tensor) -> Tensor {
    let batch = a.shape[0], t1 = a.shape[1], t2 = b.shape[1], c = a.shape[2]
    var out = Tensor(uninitialized: [batch, t1 + t2, c])
    for r in 0..<batch {
        (out.mutableData + r * (t1 + t2) * c).update(from: a.data + r * t1 * c, count: t1 * c)
        (out.mutableData + (r * (t1 + t2) + t1) * c).update(from: b.data + r * t2 * c, count: t2 * c)
    }
    return out
}
