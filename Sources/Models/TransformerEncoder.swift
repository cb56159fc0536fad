import Foundation
import Tensor
import Layers

// The pre-LN transformer block shared by CLIP's encoders (transformers' CLIPEncoderLayer) and
// ClipCap's TransformerMapper (the official TransformerLayer):
//   x = x + out_proj(attn(norm1(x)));  x = x + mlp(norm2(x))
// q/k/v projections are fused into one (3C, C) GEMM at load time.

/// One pre-LN block. The checkpoint names live in the static loaders, one table per model family.
struct TransformerBlock {
    var norm1: LayerNorm
    var qkv: Linear          // rows [q | k | v]
    var outProj: Linear
    var norm2: LayerNorm
    var mlp: FeedForward

    /// transformers' CLIPEncoderLayer names.
    static func clip<P: ParameterSource>(_ p: P, width c: Int, intermediate: Int, act: Activation, eps: Float) throws -> TransformerBlock {
        TransformerBlock(
            norm1: try p.layerNorm("layer_norm1", size: c, eps: eps),
            qkv: fuseRows([try p.linear("self_attn.q_proj", in: c, out: c),
                           try p.linear("self_attn.k_proj", in: c, out: c),
                           try p.linear("self_attn.v_proj", in: c, out: c)]),
            outProj: try p.linear("self_attn.out_proj", in: c, out: c),
            norm2: try p.layerNorm("layer_norm2", size: c, eps: eps),
            mlp: FeedForward(fc1: try p.linear("mlp.fc1", in: c, out: intermediate),
                             fc2: try p.linear("mlp.fc2", in: intermediate, out: c), activation: act))
    }

    /// The official ClipCap TransformerLayer names: no bias on to_queries / to_keys_values (rows [K | V]),
    /// ReLU MLP of ratio 2, torch's default LayerNorm eps.
    static func clipCapMapper<P: ParameterSource>(_ p: P, width c: Int) throws -> TransformerBlock {
        TransformerBlock(
            norm1: try p.layerNorm("norm1", size: c, eps: 1e-5),
            qkv: fuseRows([try p.linear("attn.to_queries", in: c, out: c, bias: false),
                           try p.linear("attn.to_keys_values", in: c, out: 2 * c, bias: false)]),
            outProj: try p.linear("attn.project", in: c, out: c),
            norm2: try p.layerNorm("norm2", size: c, eps: 1e-5),
            mlp: FeedForward(fc1: try p.linear("mlp.fc1", in: c, out: 2 * c),
                             fc2: try p.linear("mlp.fc2", in: 2 * c, out: c), activation: .relu))
    }
}

/// Scratch buffers for one forward over B·T rows, allocated once and reused by every layer.
struct EncoderWorkspace {
    var normed, qkv, attn, proj, hidden: Tensor
    init(rows n: Int, width c: Int, intermediate: Int) {
        normed = Tensor(uninitialized: [n, c])
        qkv = Tensor(uninitialized: [n, 3 * c])
        attn = Tensor(uninitialized: [n, c])
        proj = Tensor(uninitialized: [n, c])
        hidden = Tensor(uninitialized: [n, intermediate])
    }
}

/// A stack of pre-LN blocks over x: (B, T, C), updated in place.
struct TransformerEncoder {
    var layers: [TransformerBlock]
    let width: Int, heads: Int, intermediate: Int

    init(layers: [TransformerBlock], width: Int, heads: Int) {
        self.layers = layers; self.width = width; self.heads = heads
        intermediate = layers.first?.mlp.fc1.outFeatures ?? 0
    }

    /// transformers' CLIPEncoder: `layers.{i}.` blocks.
    static func clip<P: ParameterSource>(_ p: P, width: Int, intermediate: Int, heads: Int, layers count: Int,
                                         act: Activation, eps: Float) throws -> TransformerEncoder {
        TransformerEncoder(layers: try (0..<count).map {
            try TransformerBlock.clip(p.scoped("layers.\($0)."), width: width, intermediate: intermediate, act: act, eps: eps)
        }, width: width, heads: heads)
    }

    /// Runs every layer on x (B·T rows). `onHiddenState` sees x after each layer (HF's hidden_states[1...]).
    func forward(_ x: inout Tensor, batch b: Int, tokens t: Int, causal: Bool, onHiddenState: ((Tensor) -> Void)? = nil) {
        var ws = EncoderWorkspace(rows: b * t, width: width, intermediate: intermediate)
        for layer in layers { run(layer, &x, batch: b, tokens: t, causal: causal, workspace: &ws); onHiddenState?(x) }
    }

    /// The output of the last layer at one row per batch item (`rows[b]`, the pooling position), (B, C).
    /// Exactly the corresponding rows of `forward`, with less work: every layer but the last runs in full;
    /// the last computes keys and values for all tokens but queries, out_proj and the MLP for the pooled
    /// row only (a causal row p attends to keys 0...p).
    func forwardPooled(_ x: inout Tensor, batch b: Int, tokens t: Int, causal: Bool, rows: [Int]) -> Tensor {
        let c = width, hs = c / heads
        var ws = EncoderWorkspace(rows: b * t, width: c, intermediate: intermediate)
        for layer in layers.dropLast() { run(layer, &x, batch: b, tokens: t, causal: causal, workspace: &ws) }
        var sel = Tensor(uninitialized: [b, c])
        for (r, p) in rows.enumerated() { (sel.mutableData + r * c).update(from: x.data + (r * t + p) * c, count: c) }
        guard let last = layers.last else { return sel }
        last.norm1.forward(x.data, rows: b * t, into: ws.normed.mutableData)
        last.qkv.forward(ws.normed.data, rows: b * t, into: ws.qkv.mutableData)
        var q = Tensor(uninitialized: [b, c]), attn = Tensor(uninitialized: [b, c]), proj = Tensor(uninitialized: [b, c])
        var hidden = Tensor(uninitialized: [b, intermediate])
        for (r, p) in rows.enumerated() { (q.mutableData + r * c).update(from: ws.qkv.data + (r * t + p) * 3 * c, count: c) }
        let kv = AttentionLayout(rowStride: 3 * c, batchStride: t * 3 * c), one = AttentionLayout(rowStride: c, batchStride: c)
        multiHeadAttention(shape: AttentionShape(batch: b, queries: 1, keys: t, heads: heads, headSize: hs, causal: false),
                           q: q.data, qLayout: one, k: ws.qkv.data + c, kLayout: kv, v: ws.qkv.data + 2 * c, vLayout: kv,
                           out: attn.mutableData, outLayout: one, keyLengths: causal ? rows.map { $0 + 1 } : nil,
                           scale: 1 / Float(hs).squareRoot())
        last.outProj.forward(attn.data, rows: b, into: proj.mutableData)
        addInPlace(sel.mutableData, proj.data, count: b * c)
        last.norm2.forward(sel.data, rows: b, into: q.mutableData)
        last.mlp.forward(q.data, rows: b, hidden: hidden.mutableData, into: proj.mutableData)
        addInPlace(sel.mutableData, proj.data, count: b * c)
        return sel
    }

    private func run(_ layer: TransformerBlock, _ x: inout Tensor, batch b: Int, tokens t: Int, causal: Bool,
                     workspace ws: inout EncoderWorkspace) {
        let n = b * t, c = width, hs = c / heads
        let qkvLayout = AttentionLayout(rowStride: 3 * c, batchStride: t * 3 * c)
        let outLayout = AttentionLayout(rowStride: c, batchStride: t * c)
        let shape = AttentionShape(batch: b, queries: t, keys: t, heads: heads, headSize: hs, causal: causal)
        let xp = x.mutableData
        layer.norm1.forward(xp, rows: n, into: ws.normed.mutableData)
        layer.qkv.forward(ws.normed.data, rows: n, into: ws.qkv.mutableData)
        let q = ws.qkv.data
        multiHeadAttention(shape: shape, q: q, qLayout: qkvLayout, k: q + c, kLayout: qkvLayout,
                           v: q + 2 * c, vLayout: qkvLayout, out: ws.attn.mutableData, outLayout: outLayout,
                           scale: 1 / Float(hs).squareRoot())
        layer.outProj.forward(ws.attn.data, rows: n, into: ws.proj.mutableData)
        addInPlace(xp, ws.proj.data, count: n * c)
        layer.norm2.forward(xp, rows: n, into: ws.normed.mutableData)
        layer.mlp.forward(ws.normed.data, rows: n, hidden: ws.hidden.mutableData, into: ws.proj.mutableData)
        addInPlace(xp, ws.proj.data, count: n * c)
    }
}
