import Foundation
import Tensor
import Models
import Tokenizers

// Pretraining a small GPT-2 as a language model on captions (issue 7): each caption is the row
// EOS + caption tokens + EOS (the leading EOS acts as BOS, as GPT-2 has no separate BOS); position j
// predicts token j + 1; the loss is the mean cross-entropy over every real target of the batch, padding
// masked. Semantics of transformers' GPT2LMHeadModel(input_ids, labels) with right padding and labels −100.
// Legend: B batch, T = longest row − 1 input positions, C width, V vocabulary.

/// Trains every weight of a GPT-2 language model with AdamW and transformers' linear warmup/decay.
public final class GPT2LanguageModelTrainer: AdamWTrainer {
    public let options: TrainerOptions
    /// Optimizer steps taken so far.
    public internal(set) var step: Int = 0

    var gpt2: GPT2
    var grads: GPT2?                         // always present; optional because the GPT-2 training API takes GPT2?
    var workspace: GPT2TrainingWorkspace?
    var adam: AdamW
    var gradientsAreZero = true

    /// The model as trained so far.
    public var model: GPT2 { gpt2 }
    public var config: GPT2Config { gpt2.config }

    /// The configuration of a fresh model: sizes from the caller, the vocabulary and EOS from a tokenizer.
    public static func config(tokenizer: GPT2Tokenizer, layers: Int, heads: Int, width: Int, positions: Int) throws -> GPT2Config {
        guard layers >= 1, heads >= 1, width >= 1, positions >= 1 else {
            throw TrainingError.invalidConfig("layers, heads, width and positions must be ≥ 1")
        }
        guard width % heads == 0 else { throw TrainingError.invalidConfig("width \(width) is not divisible by \(heads) heads") }
        return GPT2Config(vocabSize: tokenizer.vocabularySize, positions: positions, embeddingSize: width, layers: layers,
                          heads: heads, eosTokenId: tokenizer.eosTokenId)
    }

    /// A fresh model with transformers' GPT-2 initialization (GPT2PreTrainedModel._init_weights): every
    /// matrix and embedding N(0, 0.02²), biases 0, LayerNorm weights 1, and the residual projections
    /// (attn.c_proj and mlp.c_proj weights) N(0, (0.02/√(2·n_layer))²). Seeded by name, so each tensor's
    /// values depend only on the seed and its name.
    public convenience init(config: GPT2Config, seed: UInt64, options: TrainerOptions) throws {
        // RandomParameters draws N(0, 0.02²) / 1 / 0 by name; the residual projections are then scaled.
        var model = try GPT2(config: config, parameters: RandomParameters(seed: seed))
        let scale = Float(1 / (2 * Double(config.layers)).squareRoot())
        model.visitParameters { name, shape, p in
            guard name.hasSuffix("c_proj.weight") else { return }
            for i in 0..<shape.reduce(1, *) { p[i] *= scale }
        }
        try self.init(model: model, options: options)
    }

    /// Continues from given weights (a loaded folder; the parity tests). The trainer owns its copy.
    public init(model: GPT2, options: TrainerOptions) throws {
        try options.validate()
        self.options = options
        gpt2 = model
        grads = try model.zeroed()
        adam = AdamW(slots: [])
        adam = AdamW(slots: parameterSlots())
    }

    /// The training row of one caption's tokens: EOS + tokens + EOS, cut to `positions` + 1 tokens (the
    /// last token is only a target, so a row of positions + 1 tokens uses every position once).
    public static func row(caption tokens: [Int], eos: Int, positions: Int) -> [Int] {
        Array(([eos] + tokens + [eos]).prefix(positions + 1))
    }

    // MARK: parameters and gradients by checkpoint name

    /// Every weight by transformers' name without scope (`wte.weight`, `h.0.attn.c_attn.weight`, …).
    public func visitParameters(_ body: ParameterVisitor) rethrows { try gpt2.visitParameters(body) }

    /// The gradient of every weight, under the same names and order as `visitParameters`.
    public func visitGradients(_ body: ParameterVisitor) rethrows { try grads!.visitParameters(body) }

    // MARK: forward and backward

    /// The mean next-token loss of a batch of rows (each at least 2 tokens, e.g. from `row(caption:)`) and,
    /// accumulated from zero, the gradient of every weight (`visitGradients`). Weights are not changed.
    @discardableResult
    public func computeGradients(rows: [[Int]]) throws -> Double {
        let b = rows.count, v = config.vocabSize, c = config.embeddingSize
        guard b >= 1 else { throw TrainingError.invalidInput("a batch needs at least one row") }
        for (i, row) in rows.enumerated() {
            guard row.count >= 2 else { throw TrainingError.invalidInput("row \(i) has \(row.count) tokens; at least 2 are needed") }
            if let bad = row.first(where: { $0 < 0 || $0 >= v }) {
                throw TrainingError.invalidInput("row \(i) has token id \(bad), outside the vocabulary of \(v)")
            }
        }
        let t = rows.map(\.count).max()! - 1
        guard t <= config.positions else {
            throw TrainingError.invalidInput("a row of \(t + 1) tokens needs \(t) positions; the model has \(config.positions)")
        }
        if !gradientsAreZero { visitGradients { _, shape, p in p.update(repeating: 0, count: shape.reduce(1, *)) } }
        if !(workspace?.fits(config: config, batch: b, tokens: t) ?? false) {
            workspace = GPT2TrainingWorkspace(config: config, batch: b, tokens: t)
        }
        workspace!.use(batch: b, tokens: t)
        // input (B, T, C): wte(row[0..<n−1]), zeros after a shorter row (never seen by a real position:
        // attention is causal and padding comes last); position r·T + j predicts row[j + 1]
        var ids: [Int] = [], positions: [Int] = [], targets: [Int] = []
        let x = workspace!.input
        for (r, row) in rows.enumerated() {
            let n = row.count - 1
            (x + (r * t + n) * c).update(repeating: 0, count: (t - n) * c)
            for j in 0..<n { ids.append(row[j]); positions.append(r * t + j); targets.append(row[j + 1]) }
        }
        try gpt2.writeTokenEmbeddings(ids: ids, rows: positions, into: &workspace!)
        try gpt2.trainingForward(&workspace!)
        gradientsAreZero = false
        let loss = try gpt2.trainingLoss(&workspace!, rows: positions, targets: targets, grads: &grads)
        gpt2.trainingBackward(&workspace!, grads: &grads)
        gpt2.accumulateTokenEmbeddingGradients(workspace!, ids: ids, rows: positions, into: &grads!)
        return loss
    }

    /// One optimizer step on a batch of rows. Returns the loss computed before the update and the learning
    /// rate used. Throws TrainingError.nonFinite(step:what:) without updating when the loss or any gradient
    /// is NaN or ±Inf.
    public func step(rows: [[Int]]) throws -> (loss: Float, learningRate: Float) {
        try applyGradients(loss: try computeGradients(rows: rows))
    }

    // MARK: the training loop

    /// Trains on `rows` for `options.totalSteps` updates. Batches are consecutive `batchSize` rows of a seeded
    /// shuffle, drawn afresh each epoch (`epochOrder`); the last partial batch of an epoch is dropped. After each
    /// update `progress` gets the step (1-based), the loss and the learning rate.
    /// Training continues from `step` (a trainer restored with `loadState` resumes), and stops early once
    /// `stopAt` updates are done; an error thrown by `progress` (a failed checkpoint save) stops it too.
    public func train(rows: [[Int]], batchSize: Int, seed: UInt64,
                      stopAt: Int? = nil,
                      progress: (_ step: Int, _ loss: Float, _ learningRate: Float) throws -> Void = { _, _, _ in }) throws {
        guard batchSize >= 1 else { throw TrainingError.invalidConfig("the batch size must be ≥ 1, got \(batchSize)") }
        guard rows.count >= batchSize else {
            throw TrainingError.invalidInput("\(rows.count) captions are fewer than one batch of \(batchSize)")
        }
        let perEpoch = rows.count / batchSize
        let end = min(options.totalSteps, stopAt ?? options.totalSteps)
        while step < end {
            let epoch = step / perEpoch, order = Self.epochOrder(count: rows.count, epoch: epoch, seed: seed)
            let k = step % perEpoch
            let batch = order[k * batchSize..<(k + 1) * batchSize].map { rows[$0] }
            let (loss, lr) = try self.step(rows: batch)
            try progress(step, loss, lr)
        }
    }

    /// The sample order of one epoch: a Fisher–Yates shuffle of 0..<count seeded by (seed, epoch).
    public static func epochOrder(count: Int, epoch: Int, seed: UInt64) -> [Int] {
        var rng = SeededRNG(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        var order = Array(0..<count)
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        }
        return order
    }
}
