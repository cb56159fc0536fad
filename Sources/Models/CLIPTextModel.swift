import Foundation
import Tensor
import Layers

// port of the semantics of transformers' CLIPTextTransformer + CLIPModel.get_text_features.

/// The CLIP text tower and its projection.  ids: (B, T) → text embeddings (B, projection_dim).
public struct CLIPTextModel {
    public let config: CLIPTextConfig
    var tokenEmbedding: Tensor      // (vocab, C)
    var positionEmbedding: Tensor   // (max_positions, C)
    var encoder: TransformerEncoder
    var finalNorm: LayerNorm
    var projection: Linear          // (proj, C), no bias

    /// Parameters under `text_model.` and `text_projection` (transformers' CLIPModel names).
    public init<P: ParameterSource>(config: CLIPTextConfig, projectionDim: Int, parameters p: P) throws {
        self.config = config
        let c = config.hiddenSize
        let t = p.scoped("text_model.")
        tokenEmbedding = try t.tensor("embeddings.token_embedding.weight", [config.vocabSize, c])
        positionEmbedding = try t.tensor("embeddings.position_embedding.weight", [config.maxPositions, c])
        encoder = try TransformerEncoder.clip(t.scoped("encoder."), width: c, intermediate: config.intermediateSize,
                                  heads: config.attentionHeads, layers: config.layers, act: config.hiddenAct, eps: config.layerNormEps)
        finalNorm = try t.layerNorm("final_layer_norm", size: c, eps: config.layerNormEps)
        projection = try p.linear("text_projection", in: c, out: projectionDim, bias: false)
    }

    /// The outputs of one forward, as transformers names them.
    public struct Output {
        /// (B, T, C) after final_layer_norm.
        public var lastHiddenState: Tensor
        /// (B, C): the last hidden state at each row's EOS position.
        public var pooled: Tensor
        /// (B, projection_dim): text_projection(pooled), not normalized.
        public var embeddings: Tensor
        /// HF's hidden_states: the embeddings, then the output of each layer (before final_layer_norm).
        public var hiddenStates: [Tensor]
    }

    /// The pooling position per row, exactly as transformers: the argmax of the ids for configs with the
    /// legacy `eos_token_id == 2` (the OpenAI checkpoints), else the first position holding eos_token_id.
    public func poolingPositions(ids: [Int32], batch b: Int, tokens t: Int) -> [Int] {
        (0..<b).map { r in
            let row = ids[(r * t)..<((r + 1) * t)]
            if config.eosTokenId == 2 {
                var best = 0
                for (j, v) in row.enumerated() where v > row[row.startIndex + best] { best = j }
                return best
            }
            return row.firstIndex(of: Int32(config.eosTokenId)).map { $0 - row.startIndex } ?? 0
        }
    }

    /// Forward over ids (B·T, row-major). Throws on ids outside the vocabulary or T > max positions.
    public func forward(ids: [Int32], batch b: Int, tokens t: Int, collectHiddenStates: Bool = false) throws -> Output {
        var x = try embedTokens(ids: ids, batch: b, tokens: t)
        var hidden: [Tensor] = collectHiddenStates ? [x] : []
        encoder.forward(&x, batch: b, tokens: t, causal: true, onHiddenState: collectHiddenStates ? { hidden.append($0) } : nil)
        let last = finalNorm.forward(x)
        let c = config.hiddenSize
        var pooled = Tensor(uninitialized: [b, c])
        for (r, pos) in poolingPositions(ids: ids, batch: b, tokens: t).enumerated() {
            (pooled.mutableData + r * c).update(from: last.data + (r * t + pos) * c, count: c)
        }
        return Output(lastHiddenState: last, pooled: pooled, embeddings: projection.forward(pooled), hiddenStates: hidden)
    }

    /// The text embeddings only, (B, projection_dim): equal to `forward(...).embeddings`, computed with the
    /// pooled-row shortcut in the last layer (see TransformerEncoder.forwardPooled).
    /// The batch is split across the cores (data parallel), each part with single-threaded BLAS.
    public func embed(ids: [Int32], batch b: Int, tokens t: Int) throws -> Tensor {
        let x = try embedTokens(ids: ids, batch: b, tokens: t)
        let positions = poolingPositions(ids: ids, batch: b, tokens: t)
        let d = projection.outFeatures
        var out = Tensor(uninitialized: [b, d])
        let dst = out.mutableData
        Parallel.splitAcrossCores(b) { part in
            var sub = part.count == b ? x : x.rows(part.lowerBound, part.count)
            let pooled = encoder.forwardPooled(&sub, batch: part.count, tokens: t, causal: true, rows: Array(positions[part]))
            let e = projection.forward(finalNorm.forward(pooled))
            (dst + part.lowerBound * d).update(from: e.data, count: part.count * d)
        }
        return out
    }

    /// Token plus position embeddings, (B, T, C), after checking the ids.
    func embedTokens(ids: [Int32], batch b: Int, tokens t: Int) throws -> Tensor {
        try validate(ids: ids, batch: b, tokens: t)
        let c = config.hiddenSize
        var x = Tensor(uninitialized: [b, t, c])
        writeEmbeddings(ids: ids, batch: b, tokens: t, into: x.mutableData)
        return x
    }

    /// Throws unless ids hold B·T in-vocabulary tokens with T ≤ max_position_embeddings.
    func validate(ids: [Int32], batch b: Int, tokens t: Int) throws {
        guard ids.count == b * t else { throw ModelError.invalidInput("ids count \(ids.count) != batch \(b) × tokens \(t)") }
        guard t <= config.maxPositions else {
            throw ModelError.invalidInput("text of \(t) tokens exceeds max_position_embeddings \(config.maxPositions)")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.invalidInput("token id \(bad) is outside the vocabulary of \(config.vocabSize)")
        }
    }

    /// x (B·T, C) = token_embedding[ids] + position_embedding[0..<T], for checked ids.
    func writeEmbeddings(ids: [Int32], batch b: Int, tokens t: Int, into xp: UnsafeMutablePointer<Float>) {
        let c = config.hiddenSize, te = tokenEmbedding.data, pe = positionEmbedding.data
        for r in 0..<b {
            for j in 0..<t {
                let dst = xp + (r * t + j) * c, tok = te + Int(ids[r * t + j]) * c, pos = pe + j * c
                for k in 0..<c { dst[k] = tok[k] + pos[k] }
            }
        }
    }
}
