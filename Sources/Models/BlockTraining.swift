import Foundation
import Tensor
import Layers

// Training forward and backward of one pre-LN transformer block, shared by GPT-2's blocks (causal, GELU),
// the ClipCap Transformer mapper's layers (no mask, ReLU) and CLIP's encoder layers (CLIPTraining.swift: the
// text tower causal, the vision tower unmasked, quick_gelu or gelu, biased q/k/v fused as rows [q | k | v]):
//   mid = x + proj(attn(ln1(x)));  out = mid + fc2(act(fc1(ln2(mid))))
// The backward reads as the forward reversed (llm.c gpt2_backward, one layer). Weight gradients are
// accumulated only when `grads` is non-nil: a frozen GPT-2 backpropagates to its input but never
// computes or stores a weight gradient.
// Legend: N = B·T rows, C width, H MLP hidden size, NH heads.

/// The parts of a pre-LN block, under one set of names (GPT-2 calls them ln_1, c_attn, c_proj, ln_2, mlp).
protocol PreLNBlock {
    var norm1: LayerNorm { get set }
    var qkv: Linear { get set }        // rows [q | k | v]
    var outProj: Linear { get set }
    var norm2: LayerNorm { get set }
    var mlp: FeedForward { get set }
}

extension TransformerBlock: PreLNBlock {}

extension GPT2Block: PreLNBlock {
    // `_modify` yields the stored property in place, so gradient accumulation through the protocol never
    // copies a weight buffer.
    var norm1: LayerNorm { get { ln1 } _modify { yield &ln1 } }
    var qkv: Linear { get { attention } _modify { yield &attention } }
    var outProj: Linear { get { projection } _modify { yield &projection } }
    var norm2: LayerNorm { get { ln2 } _modify { yield &ln2 } }
}

/// What one block's backward needs from its forward, for up to `rows` rows.
public struct BlockActivations {
    var ln1, att, mid, ln2: Tensor          // (N, C)
    var mean1, rstd1, mean2, rstd2: Tensor  // (N)
    var qkv: Tensor                         // (N, 3C)
    var probs: Tensor                       // (B, NH, T, T)
    var pre, post: Tensor                   // (N, H): MLP hidden before and after the activation

    init(rows n: Int, width c: Int, hidden: Int, probs: Int) {
        ln1 = Tensor(uninitialized: [n, c]); att = Tensor(uninitialized: [n, c])
        mid = Tensor(uninitialized: [n, c]); ln2 = Tensor(uninitialized: [n, c])
        mean1 = Tensor(uninitialized: [n]); rstd1 = Tensor(uninitialized: [n])
        mean2 = Tensor(uninitialized: [n]); rstd2 = Tensor(uninitialized: [n])
        qkv = Tensor(uninitialized: [n, 3 * c]); self.probs = Tensor(uninitialized: [probs])
        pre = Tensor(uninitialized: [n, hidden]); post = Tensor(uninitialized: [n, hidden])
    }
}

/// Gradient scratch shared by every block of a stack (used one layer at a time).
struct BlockGradientScratch {
    var dln, datt: Tensor      // (N, C)
    var dqkv: Tensor           // (N, 3C)
    var dhidden: Tensor        // (N, H)
    var attention: Tensor      // T·T per worker

    init(rows n: Int, width c: Int, hidden: Int, tokens t: Int) {
        dln = Tensor(uninitialized: [n, c]); datt = Tensor(uninitialized: [n, c])
        dqkv = Tensor(uninitialized: [n, 3 * c]); dhidden = Tensor(uninitialized: [n, hidden])
        attention = Tensor(uninitialized: [attentionScratchCount(tokens: t)])
    }
}

/// Sizes of one pass through a block stack.
struct BlockShape {
    var batch: Int, tokens: Int, heads: Int, causal: Bool
    var rows: Int { batch * tokens }
}

extension PreLNBlock {
    /// x (N, C) → out (N, C), filling `a`. `out` must not alias `x`.
    func trainingForward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, shape s: BlockShape, saving a: inout BlockActivations) {
        let n = s.rows, c = norm1.size, h = mlp.fc1.outFeatures
        norm1.forwardTraining(x, rows: n, into: a.ln1.mutableData, mean: a.mean1.mutableData, rstd: a.rstd1.mutableData)
        qkv.forward(a.ln1.data, rows: n, into: a.qkv.mutableData)
        selfAttentionTraining(qkv: a.qkv.data, out: a.att.mutableData, probs: a.probs.mutableData,
                              batch: s.batch, tokens: s.tokens, heads: s.heads, width: c, causal: s.causal)
        let mid = a.mid.mutableData
        outProj.forward(a.att.data, rows: n, into: mid)
        addInPlace(mid, x, count: n * c)
        norm2.forwardTraining(mid, rows: n, into: a.ln2.mutableData, mean: a.mean2.mutableData, rstd: a.rstd2.mutableData)
        mlp.fc1.forward(a.ln2.data, rows: n, into: a.pre.mutableData)
        mlp.activation.apply(a.pre.data, into: a.post.mutableData, count: n * h)
        mlp.fc2.forward(a.post.data, rows: n, into: out)
        addInPlace(out, a.mid.data, count: n * c)
    }

    /// On entry `dres` (N, C) holds ∂L/∂out; on return ∂L/∂x. With `grads` (a block of gradients, same shapes),
    /// accumulates every weight gradient there; a pointer, so accumulation happens in place through the protocol.
    func trainingBackward(_ dres: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, shape s: BlockShape,
                          activations a: BlockActivations, scratch: inout BlockGradientScratch, grads: UnsafeMutablePointer<Self>?) {
        let n = s.rows, c = norm1.size, h = mlp.fc1.outFeatures
        let dhidden = scratch.dhidden.mutableData, dln = scratch.dln.mutableData
        // MLP: out = mid + fc2(act(fc1(ln2(mid))))
        mlp.fc2.backwardInput(dres, rows: n, into: dhidden)
        if let g = grads { mlp.fc2.accumulateGradients(dres, input: a.post.data, rows: n, into: &g.pointee.mlp.fc2) }
        mlp.activation.backward(dhidden, pre: a.pre.data, post: a.post.data, count: n * h)
        mlp.fc1.backwardInput(dhidden, rows: n, into: dln)
        if let g = grads {
            mlp.fc1.accumulateGradients(dhidden, input: a.ln2.data, rows: n, into: &g.pointee.mlp.fc1)
            norm2.backward(dln, input: a.mid.data, mean: a.mean2.data, rstd: a.rstd2.data, rows: n, accumulatingInto: dres, grads: &g.pointee.norm2)
        } else {
            norm2.backwardInput(dln, input: a.mid.data, mean: a.mean2.data, rstd: a.rstd2.data, rows: n, accumulatingInto: dres)
        }
        // attention: mid = x + proj(attn(ln1(x)))
        let datt = scratch.datt.mutableData, dqkv = scratch.dqkv.mutableData
        outProj.backwardInput(dres, rows: n, into: datt)
        if let g = grads { outProj.accumulateGradients(dres, input: a.att.data, rows: n, into: &g.pointee.outProj) }
        selfAttentionBackward(dout: datt, qkv: a.qkv.data, probs: a.probs.data, dqkv: dqkv, scratch: scratch.attention.mutableData,
                              batch: s.batch, tokens: s.tokens, heads: s.heads, width: c)
        qkv.backwardInput(dqkv, rows: n, into: dln)
        if let g = grads {
            qkv.accumulateGradients(dqkv, input: a.ln1.data, rows: n, into: &g.pointee.qkv)
            norm1.backward(dln, input: x, mean: a.mean1.data, rstd: a.rstd1.data, rows: n, accumulatingInto: dres, grads: &g.pointee.norm1)
        } else {
            norm1.backwardInput(dln, input: x, mean: a.mean1.data, rstd: a.rstd1.data, rows: n, accumulatingInto: dres)
        }
    }
}

/// Activations and gradient scratch for a stack of blocks over up to `rows` rows, with the residual stream
/// saved between layers: residuals[l] is the input of layer l, residuals[layers] the output of the last.
struct BlockStackWorkspace {
    var residuals: [Tensor]
    var activations: [BlockActivations]
    var scratch: BlockGradientScratch
    var dres: Tensor              // (N, C)
    let rowCapacity: Int, probCapacity: Int, tokenCapacity: Int

    init(layers: Int, batch b: Int, tokens t: Int, width c: Int, hidden: Int, heads: Int) {
        let n = b * t
        rowCapacity = n; probCapacity = b * heads * t * t; tokenCapacity = t
        residuals = (0...layers).map { _ in Tensor(uninitialized: [n, c]) }
        activations = (0..<layers).map { _ in BlockActivations(rows: n, width: c, hidden: hidden, probs: b * heads * t * t) }
        scratch = BlockGradientScratch(rows: n, width: c, hidden: hidden, tokens: t)
        dres = Tensor(uninitialized: [n, c])
    }

    func fits(batch b: Int, tokens t: Int, heads: Int) -> Bool {
        b * t <= rowCapacity && b * heads * t * t <= probCapacity && t <= tokenCapacity
    }
}

extension Array where Element: PreLNBlock {
    /// Runs every block from ws.residuals[0] to ws.residuals[count].
    func trainingForward(_ ws: inout BlockStackWorkspace, shape: BlockShape) {
        for l in indices {
            let x = ws.residuals[l].data, out = ws.residuals[l + 1].mutableData
            self[l].trainingForward(x, into: out, shape: shape, saving: &ws.activations[l])
        }
    }

    /// ws.dres: ∂L/∂(last output) on entry, ∂L/∂(first input) on return. `grads`, when given, has one block per layer.
    func trainingBackward(_ ws: inout BlockStackWorkspace, shape: BlockShape, grads: UnsafeMutablePointer<[Element]>?) {
        let dres = ws.dres.mutableData
        for l in indices.reversed() {
            if let gs = grads {
                withUnsafeMutablePointer(to: &gs.pointee[l]) { g in
                    self[l].trainingBackward(dres, input: ws.residuals[l].data, shape: shape, activations: ws.activations[l],
                                             scratch: &ws.scratch, grads: g)
                }
            } else {
                self[l].trainingBackward(dres, input: ws.residuals[l].data, shape: shape, activations: ws.activations[l],
                                         scratch: &ws.scratch, grads: nil)
            }
        }
    }
}
