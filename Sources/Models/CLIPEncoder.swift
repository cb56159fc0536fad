import Foundation
import Tensor
import Layers

// port of the semantics of transformers' modeling_clip.py (CLIPEncoderLayer): pre-LN blocks,
//   x = x + out_proj(attn(layer_norm1(x)));  x = x + mlp(layer_norm2(x))
// q/k/v projections are fused into one (3C, C) GEMM at load time.

/// One CLIP encoder layer, with its checkpoint names in `load`.
struct CLIPEncoderLayer {
    var norm1: LayerNorm
    var qkv: Linear          // rows [q_proj | k_proj | v_proj]
    var outProj: Linear
    var norm2: LayerNorm
    var mlp: FeedForward

    init<P: ParameterSource>(_ p: P, width c: Int, intermediate: Int, act: Activation, eps: Float) throws {
        norm1 = try p.layerNorm("layer_norm1", size: c, eps: eps)
        qkv = fuseRows([try p.linear("self_attn.q_proj", in: c, out: c),
                        try p.linear("self_attn.k_proj", in: c, out: c),
                        try p.linear("self_attn.v_proj", in: c, out: c)])
        outProj = try p.linear("self_attn.out_proj", in: c, out: c)
        norm2 = try p.layerNorm("layer_norm2", size: c, eps: eps)
        mlp = FeedForward(fc1: try p.linear("mlp.fc1", in: c, out: intermediate),
                          fc2: try p.linear("mlp.fc2", in: intermediate, out: c), activation: act)
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

/// A stack of CLIP encoder layers over x: (B, T, C), updated in place.
struct CLIPEncoder {
    var layers: [CLIPEncoderLayer]
    let width: Int, heads: Int, intermediate: Int

    init<P: ParameterSource>(_ p: P, width: Int, intermediate: Int, heads: Int, layers count: Int, act: Activation, eps: Float) throws {
        self.width = width; self.heads = heads; self.intermediate = intermediate
        layers = try (0..<count).map {
            try CLIPEncoderLayer(p.scoped("layers.\($0)."), width: width, intermediate: intermediate, act: act, eps: eps)
        }
    }

    /// Runs every layer on x (B·T rows). `onHiddenState` sees x after each layer (HF's hidden_states[1...]).
    func forward(_ x: inout Tensor, batch b: Int, tokens t: Int, causal: Bool, onHiddenState: ((Tensor) -> Void)? = nil) {
        let n = b * t, c = width
        var ws = EncoderWorkspace(rows: n, width: c, intermediate: intermediate)
        let hs = c / heads
        let qkvLayout = AttentionLayout(rowStride: 3 * c, batchStride: t * 3 * c)
        let outLayout = AttentionLayout(rowStride: c, batchStride: t * c)
        let shape = AttentionShape(batch: b, queries: t, keys: t, heads: heads, headSize: hs, causal: causal)
        for layer in layers {
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
            onHiddenState?(x)
        }
    }
}
