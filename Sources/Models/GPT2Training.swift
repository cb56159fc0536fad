import Foundation
import Tensor
import Layers

// GPT-2 training: forward with saved activations, the tied lm_head with a fused softmax cross-entropy,
// and the backward (llm.c gpt2_forward / gpt2_backward). Semantics of transformers' GPT2LMHeadModel fed
// inputs_embeds: positions 0..<T are added to the given embeddings; logits = ln_f(x)·wteᵀ.
// Legend: B batch, T tokens, N = B·T rows, C embedding size, V vocabulary, R rows that carry a target.

/// Activations and gradient buffers for GPT-2 training, allocated once and reused for every step whose
/// (B, T) fits the capacity it was made for.
public struct GPT2TrainingWorkspace {
    var stack: BlockStackWorkspace
    var hidden, lnFMean, lnFRstd, dHidden: Tensor     // (N, C), (N), (N), (N, C)
    var gathered, dGathered, logits: Tensor           // (R, C), (R, C), (R, V)
    var rowLosses: [Double]
    public private(set) var batch = 0, tokens = 0

    public init(config: GPT2Config, batch b: Int, tokens t: Int) {
        let n = b * t, c = config.embeddingSize
        stack = BlockStackWorkspace(layers: config.layers, batch: b, tokens: t, width: c, hidden: config.hiddenSize, heads: config.heads)
        hidden = Tensor(uninitialized: [n, c]); dHidden = Tensor(uninitialized: [n, c])
        lnFMean = Tensor(uninitialized: [n]); lnFRstd = Tensor(uninitialized: [n])
        gathered = Tensor(uninitialized: [n, c]); dGathered = Tensor(uninitialized: [n, c])
        logits = Tensor(uninitialized: [n, config.vocabSize])
        rowLosses = [Double](repeating: 0, count: n)
        batch = b; tokens = t
    }

    /// Whether a step of this (B, T) fits without reallocating.
    public func fits(config: GPT2Config, batch b: Int, tokens t: Int) -> Bool { stack.fits(batch: b, tokens: t, heads: config.heads) }

    /// Sets the shape of the next step (must fit).
    public mutating func use(batch b: Int, tokens t: Int) { batch = b; tokens = t }

    /// The input embeddings (B·T, C), for the caller to fill before `trainingForward` (which adds positions in place).
    public var input: UnsafeMutablePointer<Float> { mutating get { stack.residuals[0].mutableData } }

    /// After `trainingBackward`: ∂L/∂(input embeddings), (B·T, C).
    public var inputGradient: UnsafePointer<Float> { stack.dres.data }

    /// After `trainingForward`: the hidden states after ln_f, (B·T, C).
    public var hiddenStates: UnsafePointer<Float> { hidden.data }
}

extension GPT2 {
    /// Copies token embeddings wte[ids[i]] into the input rows `rows[i]` of the workspace.
    public func writeTokenEmbeddings(ids: [Int], rows: [Int], into ws: inout GPT2TrainingWorkspace) throws {
        let c = config.embeddingSize, x = ws.input
        for (id, r) in zip(ids, rows) {
            guard id >= 0 && id < config.vocabSize else { throw ModelError.invalidInput("token id \(id) is outside the vocabulary of \(config.vocabSize)") }
            (x + r * c).update(from: wte.data + id * c, count: c)
        }
    }

    /// Forward over ws.input (B·T, C) for the workspace's current (B, T): adds wpe[0..<T], runs every block
    /// saving activations, and writes the ln_f output to ws.hiddenStates.
    public func trainingForward(_ ws: inout GPT2TrainingWorkspace) throws {
        let b = ws.batch, t = ws.tokens, c = config.embeddingSize, n = b * t
        guard t <= config.positions else { throw ModelError.invalidInput("sequence of \(t) positions exceeds n_positions \(config.positions)") }
        let x = ws.input
        for r in 0..<b { addInPlace(x + r * t * c, wpe.data, count: t * c) }
        blocks.trainingForward(&ws.stack, shape: BlockShape(batch: b, tokens: t, heads: config.heads, causal: true))
        lnF.forwardTraining(ws.stack.residuals[blocks.count].data, rows: n, into: ws.hidden.mutableData,
                            mean: ws.lnFMean.mutableData, rstd: ws.lnFRstd.mutableData)
    }

    /// The tied lm_head and the mean cross-entropy over the rows that carry a target: logits for hidden row
    /// `rows[i]` are scored against `targets[i]`. Returns the mean loss (torch.nn.functional.cross_entropy,
    /// reduction "mean") and writes ∂loss/∂hidden into the workspace (zero on rows without a target).
    /// With `grads`, accumulates the lm_head's share of ∂wte. Only the R target rows are projected to V.
    public func trainingLoss(_ ws: inout GPT2TrainingWorkspace, rows: [Int], targets: [Int], grads: inout GPT2?) throws -> Double {
        let c = config.embeddingSize, v = config.vocabSize, n = ws.batch * ws.tokens, r = rows.count
        guard r > 0, r == targets.count else { throw ModelError.invalidInput("\(r) target rows but \(targets.count) targets") }
        if let bad = targets.first(where: { $0 < 0 || $0 >= v }) {
            throw ModelError.invalidInput("target token id \(bad) is outside the vocabulary of \(v)")
        }
        let g = ws.gathered.mutableData, h = ws.hidden.data
        for (i, row) in rows.enumerated() { (g + i * c).update(from: h + row * c, count: c) }
        let z = ws.logits.mutableData
        gemm(transB: true, m: r, n: v, k: c, a: g, lda: c, b: wte.data, ldb: c, c: z, ldc: v)
        let scale = 1 / Float(r)
        ws.rowLosses.withUnsafeMutableBufferPointer { losses in
            Parallel.forEachChunk(r, costPerItem: v * 8) { range in
                for i in range { losses[i] = softmaxCrossEntropyRow(z + i * v, count: v, target: targets[i], scale: scale) }
            }
        }
        var loss = 0.0
        for i in 0..<r { loss += ws.rowLosses[i] }
        // ∂gathered = ∂logits·wte;  ∂wte += ∂logitsᵀ·gathered
        let dg = ws.dGathered.mutableData
        gemm(m: r, n: c, k: v, a: z, lda: v, b: wte.data, ldb: c, c: dg, ldc: c)
        if grads != nil {
            gemm(transA: true, m: v, n: c, k: r, a: z, lda: v, b: g, ldb: c, beta: 1, c: grads!.wte.mutableData, ldc: c)
        }
        let dh = ws.dHidden.mutableData
        dh.update(repeating: 0, count: n * c)
        for (i, row) in rows.enumerated() { (dh + row * c).update(from: dg + i * c, count: c) }
        return loss / Double(r)
    }

    /// From ws's ∂loss/∂hidden back to ∂loss/∂(input embeddings) (ws.inputGradient). With `grads` (a fine-tuned
    /// GPT-2), accumulates every block's, ln_f's and wpe's gradients; without, computes no weight gradient at all.
    /// Token-embedding gradients are added by `accumulateTokenEmbeddingGradients`.
    public func trainingBackward(_ ws: inout GPT2TrainingWorkspace, grads: inout GPT2?) {
        let b = ws.batch, t = ws.tokens, c = config.embeddingSize, n = b * t
        let dres = ws.stack.dres.mutableData
        dres.update(repeating: 0, count: n * c)
        let last = ws.stack.residuals[blocks.count].data
        if grads != nil {
            lnF.backward(ws.dHidden.data, input: last, mean: ws.lnFMean.data, rstd: ws.lnFRstd.data, rows: n,
                         accumulatingInto: dres, grads: &grads!.lnF)
        } else {
            lnF.backwardInput(ws.dHidden.data, input: last, mean: ws.lnFMean.data, rstd: ws.lnFRstd.data, rows: n, accumulatingInto: dres)
        }
        let shape = BlockShape(batch: b, tokens: t, heads: config.heads, causal: true)
        if grads != nil {
            withUnsafeMutablePointer(to: &grads!.blocks) { blocks.trainingBackward(&ws.stack, shape: shape, grads: $0) }
            let dwpe = grads!.wpe.mutableData
            for r in 0..<b { addInPlace(dwpe, ws.stack.dres.data + r * t * c, count: t * c) }
        } else {
            blocks.trainingBackward(&ws.stack, shape: shape, grads: nil)
        }
    }

    /// ∂wte[ids[i]] += ∂input[rows[i]]: the token-embedding share of the tied wte gradient.
    public func accumulateTokenEmbeddingGradients(_ ws: GPT2TrainingWorkspace, ids: [Int], rows: [Int], into grads: inout GPT2) {
        let c = config.embeddingSize, dw = grads.wte.mutableData
        for (id, r) in zip(ids, rows) { addInPlace(dw + id * c, ws.inputGradient + r * c, count: c) }
    }
}
