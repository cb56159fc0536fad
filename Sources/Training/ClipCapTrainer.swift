import Foundation
import Tensor
import Models

// The ClipCap training step (DESIGN.md §5): mapper → prefix; GPT-2 over [prefix; caption token embeddings];
// the logit at position P−1+j predicts caption token j (EOS included); mean cross-entropy over every real
// target in the batch; backward through GPT-2 into the mapper; AdamW with transformers' linear warmup/decay.
// Legend: B batch, D prefix_size, P prefix_length, C GPT-2 width, Lmax longest target (EOS included),
// T = P + Lmax − 1 decoder positions (the last target token is never an input).

/// Trains a ClipCap mapper, and GPT-2 too when `config.gpt2Mode` is `finetune`.
///
/// Frozen GPT-2 (`gpt2Mode: .frozen`): gradients flow through GPT-2 to the prefix, but no GPT-2 weight
/// gradient is ever allocated or computed, and only the mapper is updated and saved.
public final class ClipCapTrainer: AdamWTrainer {
    public let config: ClipCapConfig
    public let options: TrainerOptions
    /// Optimizer steps taken so far.
    public internal(set) var step: Int = 0

    var gpt2: GPT2
    var gpt2Grads: GPT2?                        // finetune only
    var mlp: MLPMapper?, mlpGrads: MLPMapper?
    var transformer: TransformerMapper?, transformerGrads: TransformerMapper?
    var mlpWorkspace: MLPMapperWorkspace?
    var transformerWorkspace: TransformerMapperWorkspace?
    var gptWorkspace: GPT2TrainingWorkspace?
    var prefixGradient = Tensor(zeros: [0])     // (B, P·C), gathered from GPT-2's input gradient
    var adam: AdamW
    var gradientsAreZero = true

    /// ∂loss/∂inputs (B, D) from the last `computeGradients` or `step`.
    public private(set) var inputGradient = Tensor(zeros: [0])

    /// GPT-2 from a Hugging Face folder (config.json, model.safetensors).
    public convenience init(config: ClipCapConfig, gpt2Folder: URL, mapperInit: MapperInit, options: TrainerOptions) throws {
        try self.init(config: config, gpt2: try GPT2(folder: gpt2Folder), mapperInit: mapperInit, options: options)
    }

    /// With an already-built GPT-2 (tests; the benchmark's seeded random weights). The trainer owns its copy.
    public init(config: ClipCapConfig, gpt2: GPT2, mapperInit: MapperInit, options: TrainerOptions) throws {
        try options.validate()
        self.config = config
        self.options = options
        let c = gpt2.config.embeddingSize
        guard config.prefixSize >= 1, config.prefixLength >= 1 else {
            throw TrainingError.invalidConfig("prefix_size and prefix_length must be ≥ 1")
        }
        var loader: WeightLoader? = nil
        if case .checkpoint(let folder) = mapperInit {
            loader = try WeightLoader(path: folder.appendingPathComponent("model.safetensors").path)
        }
        var gpt = gpt2
        if config.gpt2Mode == .finetune, let l = loader, l.file.contains("gpt.transformer.wte.weight") {
            gpt = try GPT2(config: gpt2.config, parameters: l.scoped("gpt.transformer."))
        }
        self.gpt2 = gpt
        if config.mapper == .transformer {
            guard let cl = config.clipLength, let nl = config.numLayers, cl >= 1, nl >= 1 else {
                throw TrainingError.invalidConfig("the transformer mapper needs clip_length and num_layers ≥ 1")
            }
            guard c % TransformerMapper.heads == 0 else {
                throw TrainingError.invalidConfig("GPT-2 width \(c) is not divisible by the mapper's \(TransformerMapper.heads) heads")
            }
        }
        // seeded weights start as zeros and are filled below, by name
        if let loader { (mlp, transformer) = try Self.mapper(loader, config: config, width: c) }
        else { (mlp, transformer) = try Self.mapper(ZeroParameters(), config: config, width: c) }
        mlpGrads = try mlp?.zeroed()
        transformerGrads = try transformer?.zeroed()
        if config.gpt2Mode == .finetune { gpt2Grads = try gpt.zeroed() }
        adam = AdamW(slots: [])
        if case .seeded(let seed) = mapperInit {
            if mlp != nil { fillTorchDefaults(seed: seed) { body in mlp!.visitParameters(body) } }
            if transformer != nil { fillTorchDefaults(seed: seed) { body in transformer!.visitParameters(body) } }
        }
        adam = AdamW(slots: parameterSlots())
    }

    /// The configured mapper from parameters by the official names.
    private static func mapper<P: ParameterSource>(_ p: P, config: ClipCapConfig, width: Int) throws -> (MLPMapper?, TransformerMapper?) {
        switch config.mapper {
        case .mlp:
            return (try MLPMapper(parameters: p, prefixSize: config.prefixSize, prefixLength: config.prefixLength, width: width), nil)
        case .transformer:
            return (nil, try TransformerMapper(parameters: p, prefixSize: config.prefixSize, prefixLength: config.prefixLength,
                                               clipLength: config.clipLength ?? 1, layers: config.numLayers ?? 1, width: width))
        }
    }

    // MARK: parameters and gradients by checkpoint name

    /// Every trained tensor by its ClipCap checkpoint name (`clip_project.*`, and `gpt.transformer.*` when
    /// fine-tuning), in a fixed order.
    public func visitParameters(_ body: ParameterVisitor) rethrows {
        if mlp != nil { try mlp!.visitParameters(body) }
        if transformer != nil { try transformer!.visitParameters(body) }
        if gpt2Grads != nil { try gpt2.visitParameters { try body("gpt.transformer." + $0, $1, $2) } }
    }

    /// The gradient of every trained tensor, under the same names and order as `visitParameters`.
    public func visitGradients(_ body: ParameterVisitor) rethrows {
        if mlpGrads != nil { try mlpGrads!.visitParameters(body) }
        if transformerGrads != nil { try transformerGrads!.visitParameters(body) }
        if gpt2Grads != nil { try gpt2Grads!.visitParameters { try body("gpt.transformer." + $0, $1, $2) } }
    }

    func zeroGradients() {
        visitGradients { _, shape, p in p.update(repeating: 0, count: shape.reduce(1, *)) }
        gradientsAreZero = true
    }

    // MARK: forward and backward

    /// The loss of one batch and, accumulated from zero, the gradient of every trained tensor
    /// (`visitGradients`) and of the inputs (`inputGradient`). Parameters are not changed.
    /// inputs: (B, D) CLIP embeddings as the mapper should see them; targets: B token lists, EOS appended.
    @discardableResult
    public func computeGradients(inputs: Tensor, targets: [[Int]]) throws -> Double {
        let b = targets.count, d = config.prefixSize, p = config.prefixLength, c = gpt2.config.embeddingSize
        guard inputs.rank == 2, inputs.shape[0] == b, inputs.shape[1] == d, b >= 1 else {
            throw TrainingError.invalidInput("inputs have shape \(inputs.shape) for \(b) captions; expected (\(b), \(d))")
        }
        if let empty = targets.firstIndex(where: \.isEmpty) { throw TrainingError.invalidInput("caption \(empty) has no tokens (not even EOS)") }
        let v = gpt2.config.vocabSize
        for (i, t) in targets.enumerated() {
            if let bad = t.first(where: { $0 < 0 || $0 >= v }) {
                throw TrainingError.invalidInput("caption \(i) has token id \(bad), outside the vocabulary of \(v)")
            }
        }
        let lmax = targets.map(\.count).max()!, t = p + lmax - 1
        guard t <= gpt2.config.positions else {
            throw TrainingError.invalidInput("prefix \(p) + \(lmax - 1) caption tokens exceed GPT-2's \(gpt2.config.positions) positions")
        }
        if !gradientsAreZero { zeroGradients() }

        // mapper → prefix (B, P·C)
        let prefix: UnsafePointer<Float>
        if mlp != nil {
            if (mlpWorkspace?.capacity ?? 0) < b { mlpWorkspace = MLPMapperWorkspace(mlp!, batch: b) }
            mlp!.trainingForward(inputs.data, batch: b, &mlpWorkspace!)
            prefix = mlpWorkspace!.prefix
        } else {
            if (transformerWorkspace?.capacity ?? 0) < b { transformerWorkspace = TransformerMapperWorkspace(transformer!, batch: b) }
            transformer!.trainingForward(inputs.data, batch: b, &transformerWorkspace!)
            prefix = transformerWorkspace!.prefix
        }

        // decoder input (B, T, C): [prefix; wte(caption[0..<n−1])], zeros after a shorter caption (never seen
        // by a real position: the decoder is causal and padding comes last)
        if !(gptWorkspace?.fits(config: gpt2.config, batch: b, tokens: t) ?? false) {
            gptWorkspace = GPT2TrainingWorkspace(config: gpt2.config, batch: b, tokens: t)
        }
        gptWorkspace!.use(batch: b, tokens: t)
        var ids: [Int] = [], idRows: [Int] = [], lossRows: [Int] = [], lossTargets: [Int] = []
        let x = gptWorkspace!.input
        for r in 0..<b {
            (x + r * t * c).update(from: prefix + r * p * c, count: p * c)
            let n = targets[r].count
            (x + (r * t + p + n - 1) * c).update(repeating: 0, count: (lmax - n) * c)
            for j in 0..<n {
                if j < n - 1 { ids.append(targets[r][j]); idRows.append(r * t + p + j) }
                lossRows.append(r * t + p - 1 + j); lossTargets.append(targets[r][j])
            }
        }
        try gpt2.writeTokenEmbeddings(ids: ids, rows: idRows, into: &gptWorkspace!)
        try gpt2.trainingForward(&gptWorkspace!)
        let loss = try gpt2.trainingLoss(&gptWorkspace!, rows: lossRows, targets: lossTargets, grads: &gpt2Grads)
        gpt2.trainingBackward(&gptWorkspace!, grads: &gpt2Grads)
        if gpt2Grads != nil { gpt2.accumulateTokenEmbeddingGradients(gptWorkspace!, ids: ids, rows: idRows, into: &gpt2Grads!) }
        gradientsAreZero = false

        // ∂prefix (B, P·C) → mapper backward → ∂inputs
        if prefixGradient.count < b * p * c { prefixGradient = Tensor(uninitialized: [b * p * c]) }
        let dp = prefixGradient.mutableData, dx = gptWorkspace!.inputGradient
        for r in 0..<b { (dp + r * p * c).update(from: dx + r * t * c, count: p * c) }
        var dInput = Tensor(uninitialized: [b, d])
        if mlp != nil {
            mlp!.trainingBackward(prefixGradient.data, &mlpWorkspace!, grads: &mlpGrads!)
            dInput.mutableData.update(from: mlpWorkspace!.inputGradient, count: b * d)
        } else {
            transformer!.trainingBackward(prefixGradient.data, &transformerWorkspace!, grads: &transformerGrads!)
            dInput.mutableData.update(from: transformerWorkspace!.inputGradient, count: b * d)
        }
        inputGradient = dInput
        return loss
    }

    /// One optimizer step. inputs: (B, prefix_size) CLIP embeddings, already normalized/noised by the caller.
    /// targets: B caption token lists, EOS (50256) already appended, already truncated. Returns the loss
    /// computed before the update and the learning rate used. Throws TrainingError.nonFinite(step:what:)
    /// without updating when the loss or any gradient is NaN or ±Inf.
    public func step(inputs: Tensor, targets: [[Int]]) throws -> (loss: Float, learningRate: Float) {
        try applyGradients(loss: try computeGradients(inputs: inputs, targets: targets))
    }
}
