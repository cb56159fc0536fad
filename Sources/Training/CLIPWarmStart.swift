import Foundation
import Tensor
import Models

// Supervised warm start of one CLIP tower (issue 7). Contrastive training alone leaves a small CLIP blind to
// how two objects are arranged: a batch of random scenes is told apart by shapes and colours, so neither tower
// is ever asked for the relation, and neither can start without the other (a saddle). Before InfoNCE, each
// tower is trained on its own to predict known attributes from its embedding through a linear head that is
// then dropped, as LiT and the supervised ImageNet starts of many CLIPs begin from a trained image tower.
//
// The head maps the embedding E (B, D) to logits Z = E·Wᵀ + b (B, K), K = classes + flags:
//   loss = CE(Z[:, :classes], class) over the examples that have a class (torch's ignore_index; 0 if none)
//        + Σ_g BCEWithLogits(Z[:, group g], flags of g), each group g the mean over B·|g|
//   (one group of all flags by default; more groups keep a large group from diluting a small one).
// Legend: B examples, D projection_dim, K head outputs.

/// What the warm-start head is asked for one example: a class out of `classes` (nil: none, e.g. a scene with
/// no relation) and `flags` 0/1 targets (e.g. which shapes and colours appear).
public struct WarmStartTarget: Equatable, Sendable {
    public var classIndex: Int?
    public var flags: [Float]

    public init(classIndex: Int?, flags: [Float]) { self.classIndex = classIndex; self.flags = flags }
}

/// Trains one tower of a CLIPModel (with its projection) and a linear head with AdamW on `WarmStartTarget`s.
public final class CLIPWarmStartTrainer: AdamWTrainer, ResumableTrainer {
    public let options: TrainerOptions
    public internal(set) var step: Int = 0
    public let tower: CLIPTower
    public let classes: Int, flags: Int
    /// The sizes of the flag groups, in order (they add up to `flags`); each group's BCE is its own mean.
    public let flagGroups: [Int]

    var clip: CLIPModel
    var grads: CLIPModel
    var head: Tensor, headBias: Tensor              // (K, D), (K)
    var dHead: Tensor, dHeadBias: Tensor
    var workspace = CLIPTrainingWorkspace()
    var logits: Tensor                              // (B, K) scratch
    var adam: AdamW
    var gradientsAreZero = true
    /// Of the last batch: examples with a class, and how many of them the head got right.
    public private(set) var lastClassified = (count: 0, correct: 0)

    /// The model as trained so far (the other tower untouched).
    public var model: CLIPModel { clip }

    /// Starts from `model` with a head drawn as torch.nn.Linear's default, U(−1/√D, 1/√D), from `seed`.
    /// `flagGroups` splits the flags into consecutive groups (default: one group of all `flags`).
    public init(model: CLIPModel, tower: CLIPTower, classes: Int, flags: Int, flagGroups: [Int]? = nil,
                seed: UInt64, options: TrainerOptions) throws {
        try options.validate()
        guard classes >= 0, flags >= 0, classes + flags >= 1, classes != 1 else {
            throw TrainingError.invalidConfig("a warm-start head needs 0 or ≥ 2 classes and some outputs, got \(classes) classes and \(flags) flags")
        }
        let groups = flagGroups ?? (flags > 0 ? [flags] : [])
        guard groups.allSatisfy({ $0 >= 1 }), groups.reduce(0, +) == flags else {
            throw TrainingError.invalidConfig("warm-start flag groups \(groups) do not split \(flags) flags")
        }
        self.options = options
        self.tower = tower; self.classes = classes; self.flags = flags; self.flagGroups = groups
        clip = model
        grads = try model.zeroed()
        let k = classes + flags, d = model.config.projectionDim
        var rng = SeededRNG(seed: seed ^ 0x5741_524D_5354_4152)
        let bound = 1 / Double(d).squareRoot()
        head = Tensor(uninitialized: [k, d]); headBias = Tensor(uninitialized: [k])
        for i in 0..<k * d { head.mutableData[i] = Float((2 * rng.uniform() - 1) * bound) }
        for i in 0..<k { headBias.mutableData[i] = Float((2 * rng.uniform() - 1) * bound) }
        dHead = Tensor(zeros: [k, d]); dHeadBias = Tensor(zeros: [k])
        logits = Tensor(zeros: [0])
        adam = AdamW(slots: [])
        adam = AdamW(slots: parameterSlots())
    }

    /// Replaces the head (the parity tests load torch's). Shapes must be (K, D) and (K).
    public func setHead(weight: Tensor, bias: Tensor) throws {
        guard weight.shape == head.shape, bias.shape == headBias.shape else {
            throw TrainingError.invalidInput("warm-start head has shapes \(weight.shape), \(bias.shape); expected \(head.shape), \(headBias.shape)")
        }
        head = Tensor(copying: weight.data, shape: weight.shape)
        headBias = Tensor(copying: bias.data, shape: bias.shape)
        adam = AdamW(slots: parameterSlots())
    }

    /// The tower's weights under CLIPModel's names, then `warm_start_head.weight` and `warm_start_head.bias`.
    public func visitParameters(_ body: ParameterVisitor) rethrows {
        let tower = tower
        try clip.visitParameters { name, shape, p in if tower.owns(name) { try body(name, shape, p) } }
        try body("warm_start_head.weight", head.shape, head.mutableData)
        try body("warm_start_head.bias", headBias.shape, headBias.mutableData)
    }

    public func visitGradients(_ body: ParameterVisitor) rethrows {
        let tower = tower
        try grads.visitParameters { name, shape, p in if tower.owns(name) { try body(name, shape, p) } }
        try body("warm_start_head.weight", dHead.shape, dHead.mutableData)
        try body("warm_start_head.bias", dHeadBias.shape, dHeadBias.mutableData)
    }

    // MARK: forward and backward

    /// The head loss of a batch, and, accumulated from zero, every gradient (`visitGradients`). Give `pixels`
    /// (B, channels, S, S) for the vision tower or `ids` (each caption with its start and end tokens) for the
    /// text tower, and one target per example.
    @discardableResult
    public func computeGradients(pixels: Tensor? = nil, ids: [[Int]] = [], targets: [WarmStartTarget]) throws -> Double {
        let b = targets.count
        guard b >= 1 else { throw TrainingError.invalidInput("a warm-start batch needs at least one example") }
        for (i, t) in targets.enumerated() {
            guard t.flags.count == flags else { throw TrainingError.invalidInput("example \(i) has \(t.flags.count) flags; the head has \(flags)") }
            if let c = t.classIndex, !(0..<classes).contains(c) {
                throw TrainingError.invalidInput("example \(i) has class \(c); the head has \(classes)")
            }
        }
        if !gradientsAreZero { visitGradients { _, shape, p in p.update(repeating: 0, count: shape.reduce(1, *)) } }
        gradientsAreZero = false
        let k = classes + flags, d = clip.config.projectionDim
        if logits.count < b * k { logits = Tensor(uninitialized: [b, k]) }
        let loss: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) throws -> Double = { [self] e, _, dE in
            try headLoss(embeddings: e, batch: b, targets: targets, dEmbeddings: dE, width: d)
        }
        do {
            switch tower {
            case .vision:
                guard let pixels else { throw TrainingError.invalidInput("the vision tower's warm start needs pixels") }
                guard pixels.rank == 4, pixels.shape[0] == b else {
                    throw TrainingError.invalidInput("pixel tensor has shape \(pixels.shape) for \(b) targets")
                }
                return try clip.towerGradients(pixels: pixels, batch: b, workspace: &workspace, grads: &grads, loss: loss)
            case .text:
                guard ids.count == b else { throw TrainingError.invalidInput("\(ids.count) captions for \(b) targets") }
                try CLIPTrainer.checkCaptions(ids, clip.config.textConfig)
                let (flat, t) = CLIPTrainer.pad(ids)
                return try clip.towerGradients(ids: flat, batch: b, tokens: t, workspace: &workspace, grads: &grads, loss: loss)
            }
        } catch let e as ModelError {
            throw TrainingError.invalidInput(e.description)
        }
    }

    /// Z = E·Wᵀ + b; the loss; ∂Z; then ∂W += ∂Zᵀ·E, ∂b += Σ∂Z and ∂E = ∂Z·W. Accumulated in Double per row.
    private func headLoss(embeddings e: UnsafePointer<Float>, batch b: Int, targets: [WarmStartTarget],
                          dEmbeddings dE: UnsafeMutablePointer<Float>, width d: Int) throws -> Double {
        let k = classes + flags, z = logits.mutableData
        gemm(transB: true, m: b, n: k, k: d, a: e, lda: d, b: head.data, ldb: d, c: z, ldc: k)
        let withClass = targets.filter { $0.classIndex != nil }.count
        var loss = 0.0, correct = 0
        for r in 0..<b {
            let row = z + r * k
            for j in 0..<k { row[j] += headBias.data[j] }
            if classes > 0, let c = targets[r].classIndex {
                var mx = -Double.infinity, arg = 0
                for j in 0..<classes where Double(row[j]) > mx { mx = Double(row[j]); arg = j }
                if arg == c { correct += 1 }
                var sum = 0.0
                for j in 0..<classes { sum += Foundation.exp(Double(row[j]) - mx) }
                loss += (mx + Foundation.log(sum) - Double(row[c])) / Double(withClass)
                for j in 0..<classes {
                    let p = Foundation.exp(Double(row[j]) - mx) / sum
                    row[j] = Float((p - (j == c ? 1 : 0)) / Double(withClass))
                }
            } else {
                for j in 0..<classes { row[j] = 0 }
            }
            var start = 0
            for size in flagGroups {
                let scale = 1 / Double(b * size)
                for f in start..<(start + size) {
                    let x = Double(row[classes + f]), y = Double(targets[r].flags[f])
                    // log(1 + e^(−|x|)) + max(x, 0) − x·y, as torch's stable BCEWithLogits
                    loss += (max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-abs(x)))) * scale
                    row[classes + f] = Float((1 / (1 + Foundation.exp(-x)) - y) * scale)
                }
                start += size
            }
        }
        lastClassified = (withClass, correct)
        gemm(transA: true, m: k, n: d, k: b, a: z, lda: k, b: e, ldb: d, beta: 1, c: dHead.mutableData, ldc: d)
        for r in 0..<b { addInPlace(dHeadBias.mutableData, z + r * k, count: k) }
        gemm(m: b, n: d, k: k, a: z, lda: k, b: head.data, ldb: d, c: dE, ldc: d)
        return loss
    }

    /// One optimizer step on a batch. Returns the loss before the update and the learning rate used.
    @discardableResult
    public func step(pixels: Tensor? = nil, ids: [[Int]] = [], targets: [WarmStartTarget]) throws -> (loss: Float, learningRate: Float) {
        try applyGradients(loss: try computeGradients(pixels: pixels, ids: ids, targets: targets))
    }

    /// Trains for `options.totalSteps` updates over `count` examples: each epoch visits them in a seeded shuffle
    /// (`GPT2LanguageModelTrainer.epochOrder`), `batchSize` at a time (the last partial batch dropped).
    /// `batch(indices, epoch)` returns the batch's pixels (vision) or caption ids (text) and targets.
    /// After each update `progress` gets the step (1-based), the loss and the learning rate.
    public func train(count: Int, batchSize: Int, seed: UInt64,
                      batch: (_ indices: [Int], _ epoch: Int) throws -> (pixels: Tensor?, ids: [[Int]], targets: [WarmStartTarget]),
                      progress: (_ step: Int, _ loss: Float, _ learningRate: Float) throws -> Void = { _, _, _ in }) throws {
        guard batchSize >= 1, count >= batchSize else {
            throw TrainingError.invalidInput("\(count) warm-start examples are fewer than one batch of \(batchSize)")
        }
        let perEpoch = count / batchSize
        while step < options.totalSteps {
            let epoch = step / perEpoch, k = step % perEpoch
            let order = GPT2LanguageModelTrainer.epochOrder(count: count, epoch: epoch, seed: seed ^ 0x5741_524D)
            let (pixels, ids, targets) = try batch(Array(order[k * batchSize..<(k + 1) * batchSize]), epoch)
            let (loss, lr) = try self.step(pixels: pixels, ids: ids, targets: targets)
            try progress(step, loss, lr)
        }
    }

    public func saveState(to file: URL) throws { try writeOptimizerState(to: file) }
    public func loadState(from file: URL) throws { try readOptimizerState(from: file) }
}
