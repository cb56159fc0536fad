import Foundation
import Tensor
import Models

// Pretraining a small CLIP (issue 7): both towers, both projections and logit_scale are trained on batches of
// B (image, caption) pairs with transformers' CLIPModel(return_loss=True) loss, the symmetric InfoNCE over the
// B×B similarity matrix (CLIPContrastiveLoss). AdamW, transformers' linear warmup/decay, gradient clipping and
// the non-finite guard are those of the other trainers. Saved as a Hugging Face CLIPModel folder.
// Legend: B pairs, T longest caption, D projection_dim.

/// Mirror twins for contrastive batches (`CLIPTrainer.train`): for every caption of every image, the caption
/// as it reads on the image's mirror, and which mirror that is.
public struct MirrorTwins: Sendable {
    public struct Caption: Sendable {
        /// Token ids, as the captions' (start and end tokens included).
        public var ids: [Int]
        /// Left–right mirror (else top–bottom).
        public var horizontal: Bool
        public init(ids: [Int], horizontal: Bool) { self.ids = ids; self.horizontal = horizontal }
    }
    /// Of the steps, the fraction (seeded by step) whose batches pair images with their twins.
    public var fraction: Double
    /// captions[i][j] mirrors caption j of image i.
    public var captions: [[Caption]]
    public init(fraction: Double, captions: [[Caption]]) { self.fraction = fraction; self.captions = captions }
}

/// Shape twins for contrastive batches (`CLIPTrainer.train`): for every image, each of its captions as it
/// reads on the image's shape twin (the scene with shapes swapped or replaced, World's `ShapeTwin`), nil for
/// an image without one. The `pixels` closure is asked for the twin of image i as index `captions.count + i`.
public struct ShapeTwins: Sendable {
    /// Of the steps, the fraction (seeded by step) whose batches pair images with their shape twins.
    public var fraction: Double
    /// captions[i]?[j] is caption j of image i on its twin.
    public var captions: [[[Int]]?]
    public init(fraction: Double, captions: [[[Int]]?]) { self.fraction = fraction; self.captions = captions }
}

/// Trains every weight of a CLIPModel contrastively with AdamW.
public final class CLIPTrainer: AdamWTrainer {
    public let options: TrainerOptions
    /// Optimizer steps taken so far.
    public internal(set) var step: Int = 0

    var clip: CLIPModel
    var grads: CLIPModel
    var workspace = CLIPTrainingWorkspace()
    var adam: AdamW
    var gradientsAreZero = true
    /// When true, `step` leaves logit_scale as it is (no gradient, no weight decay): a fixed temperature.
    public var freezesLogitScale = false

    /// The model as trained so far.
    public var model: CLIPModel { clip }
    public var config: CLIPConfig { clip.config }

    /// A fresh model with transformers' CLIP initialization (CLIPPreTrainedModel._init_weights, factor 1):
    /// token/position/patch embeddings N(0, 0.02²); class_embedding N(0, 1/C); q/k/v and fc2 weights
    /// N(0, 1/(C·2L)); out_proj N(0, 1/C); fc1 N(0, 1/(2C)); each projection N(0, 1/C of its tower); biases 0;
    /// LayerNorms 1/0; logit_scale = logit_scale_init_value. Seeded by name (RandomParameters), each tensor then
    /// scaled from std 0.02 to its own.
    public convenience init(config: CLIPConfig, seed: UInt64, options: TrainerOptions) throws {
        try self.init(model: try Self.initialModel(config: config, seed: seed), options: options)
    }

    /// The weights `init(config:seed:options:)` starts from, for callers that change them before training
    /// (`clipcap pretrain clip`'s warm start).
    public static func initialModel(config: CLIPConfig, seed: UInt64) throws -> CLIPModel {
        for (name, width, heads) in [("text", config.textConfig.hiddenSize, config.textConfig.attentionHeads),
                                     ("vision", config.visionConfig.hiddenSize, config.visionConfig.attentionHeads)]
        where width < 1 || heads < 1 || width % heads != 0 {
            throw TrainingError.invalidConfig("\(name) width \(width) is not divisible by \(heads) heads")
        }
        let v = config.visionConfig
        guard v.patchSize >= 1, v.imageSize >= v.patchSize, v.imageSize % v.patchSize == 0 else {
            throw TrainingError.invalidConfig("image size \(v.imageSize) is not a multiple of patch size \(v.patchSize)")
        }
        var model = try CLIPModel(config: config, parameters: RandomParameters(seed: seed))
        let ct = Double(config.textConfig.hiddenSize), cv = Double(config.visionConfig.hiddenSize)
        let lt = Double(config.textConfig.layers), lv = Double(config.visionConfig.layers)
        model.visitParameters { name, shape, p in
            let n = shape.reduce(1, *)
            if name == "logit_scale" { p[0] = config.logitScaleInitValue; return }
            let isText = name.hasPrefix("text")
            let c = isText ? ct : cv, l = isText ? lt : lv
            let std: Double
            switch true {
            case name == "vision_model.embeddings.class_embedding": std = 1 / cv.squareRoot()
            case name == "text_projection.weight": std = 1 / ct.squareRoot()
            case name == "visual_projection.weight": std = 1 / cv.squareRoot()
            case name.hasSuffix("q_proj.weight"), name.hasSuffix("k_proj.weight"), name.hasSuffix("v_proj.weight"),
                 name.hasSuffix("mlp.fc2.weight"):
                std = 1 / (c * 2 * l).squareRoot()
            case name.hasSuffix("out_proj.weight"): std = 1 / c.squareRoot()
            case name.hasSuffix("mlp.fc1.weight"): std = 1 / (2 * c).squareRoot()
            default: return   // embeddings keep 0.02; biases 0 and LayerNorms 1/0 as drawn
            }
            let k = Float(std / 0.02)
            for i in 0..<n { p[i] *= k }
        }
        return model
    }

    /// Continues from given weights (a loaded folder; the parity tests). The trainer owns its copy.
    public init(model: CLIPModel, options: TrainerOptions) throws {
        try options.validate()
        self.options = options
        clip = model
        grads = try model.zeroed()
        adam = AdamW(slots: [])
        adam = AdamW(slots: parameterSlots())
    }

    // MARK: parameters and gradients by checkpoint name

    /// Every weight by transformers' CLIPModel name (`text_model.…`, `vision_model.…`, the projections, `logit_scale`).
    public func visitParameters(_ body: ParameterVisitor) rethrows { try clip.visitParameters(body) }

    /// The gradient of every weight, under the same names and order as `visitParameters`.
    public func visitGradients(_ body: ParameterVisitor) rethrows { try grads.visitParameters(body) }

    // MARK: forward and backward

    /// Pads caption ids (each with its start and end tokens, as the CLIP tokenizer writes them) to the longest
    /// row, (B·T) row-major, by repeating each row's last token: whichever pooling the config uses (the argmax
    /// of the ids, or the first eos_token_id) then picks the same position as in the unpadded row, and a causal
    /// tower never lets the padding reach it.
    public static func pad(_ ids: [[Int]]) -> (ids: [Int32], tokens: Int) {
        let t = ids.map(\.count).max() ?? 0
        var out: [Int32] = []
        out.reserveCapacity(ids.count * t)
        for row in ids {
            out += row.map { Int32(truncatingIfNeeded: $0) }
            out += [Int32](repeating: Int32(truncatingIfNeeded: row.last ?? 0), count: t - row.count)
        }
        return (out, t)
    }

    /// Refuses captions the text tower cannot read: empty, longer than max_position_embeddings, or with an id
    /// outside the vocabulary.
    static func checkCaptions(_ ids: [[Int]], _ tc: CLIPTextConfig) throws {
        for (i, row) in ids.enumerated() {
            guard !row.isEmpty else { throw TrainingError.invalidInput("caption \(i) has no tokens") }
            guard row.count <= tc.maxPositions else {
                throw TrainingError.invalidInput("caption \(i) has \(row.count) tokens; max_position_embeddings is \(tc.maxPositions)")
            }
            if let bad = row.first(where: { $0 < 0 || $0 >= tc.vocabSize }) {
                throw TrainingError.invalidInput("caption \(i) has token id \(bad), outside the vocabulary of \(tc.vocabSize)")
            }
        }
    }

    /// Which of `count` captions of image `image` a step of epoch `epoch` draws (seeded; the same draw for a
    /// resumed run).
    public static func captionDraw(seed: UInt64, epoch: Int, image: Int, of count: Int) -> Int {
        var rng = SeededRNG(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(image) &* 0xBF58_476D_1CE4_E5B9))
        return Int(rng.next() % UInt64(count))
    }

    /// The contrastive loss of B images (pixels (B, channels, S, S), preprocessed) and their B captions, and,
    /// accumulated from zero, the gradient of every weight (`visitGradients`). Weights are not changed.
    @discardableResult
    public func computeGradients(pixels: Tensor, ids: [[Int]]) throws -> Double {
        let b = ids.count, tc = config.textConfig
        guard b >= 2 else { throw TrainingError.invalidInput("a contrastive batch needs at least 2 pairs, got \(b)") }
        guard pixels.rank == 4, pixels.shape[0] == b else {
            throw TrainingError.invalidInput("pixel tensor has shape \(pixels.shape) for \(b) captions")
        }
        try Self.checkCaptions(ids, tc)
        let (flat, t) = Self.pad(ids)
        if !gradientsAreZero { visitGradients { _, shape, p in p.update(repeating: 0, count: shape.reduce(1, *)) } }
        gradientsAreZero = false
        do {
            return try clip.contrastiveGradients(pixels: pixels, ids: flat, batch: b, tokens: t, workspace: &workspace, grads: &grads)
        } catch let e as ModelError {
            throw TrainingError.invalidInput(e.description)
        }
    }

    /// One optimizer step on a batch of pairs. Returns the loss computed before the update and the learning
    /// rate used. Throws TrainingError.nonFinite(step:what:) without updating when the loss or any gradient
    /// is NaN or ±Inf.
    @discardableResult
    public func step(pixels: Tensor, ids: [[Int]]) throws -> (loss: Float, learningRate: Float) {
        let loss = try computeGradients(pixels: pixels, ids: ids)
        guard freezesLogitScale else { return try applyGradients(loss: loss) }
        let kept = clip.logitScale.data[0]
        grads.visitParameters { name, _, p in if name == "logit_scale" { p[0] = 0 } }
        defer { clip.visitParameters { name, _, p in if name == "logit_scale" { p[0] = kept } } }   // undoes weight decay
        return try applyGradients(loss: loss)
    }

    // MARK: the training loop

    /// Trains for `options.totalSteps` updates on images with their captions: `captions[i]` holds the token ids
    /// of image i's captions (each with start and end tokens, as `CLIPTokenizer.encode` writes them; at least one
    /// per image). Each epoch visits the images in a seeded shuffle (`GPT2LanguageModelTrainer.epochOrder`),
    /// in batches of `batchSize` consecutive images, each paired with one of its captions drawn by
    /// (seed, epoch, image); the last partial batch of an epoch is dropped, so no image appears twice in a
    /// batch (a repeat would be a false negative of the contrastive loss). `pixels` turns the batch's image
    /// indices into a (B, channels, S, S) tensor. After each update `progress` gets the step (1-based), the loss
    /// and the learning rate.
    /// With `twins`, a seeded `twins.fraction` of the steps pair images with their mirror twins: each image of
    /// the window, in order, is followed by its mirror image (flipped left–right or top–bottom, as its drawn
    /// caption's mirror says) captioned by that mirror caption, until the batch holds `batchSize` pairs. A
    /// batch then holds scenes that differ only in how their objects are arranged, so the loss asks for it.
    /// With `shapeTwins`, a seeded `shapeTwins.fraction` of the steps (drawn after the mirror draw) pair each
    /// image that has a shape twin with it instead (pixels index `captions.count + i`, the twin's caption of the
    /// drawn caption); an image without one is followed by its mirror twin on a mirror step, else by nothing.
    /// Training continues from `step` (a trainer restored with `loadState` resumes), and stops early once
    /// `stopAt` updates are done; an error thrown by `progress` (a failed checkpoint save) stops it too.
    public func train(captions: [[[Int]]], batchSize: Int, seed: UInt64, pixels: ([Int]) throws -> Tensor,
                      twins: MirrorTwins? = nil, shapeTwins: ShapeTwins? = nil, stopAt: Int? = nil,
                      progress: (_ step: Int, _ loss: Float, _ learningRate: Float) throws -> Void = { _, _, _ in }) throws {
        guard batchSize >= 2 else { throw TrainingError.invalidConfig("a contrastive batch needs at least 2 images, got \(batchSize)") }
        guard captions.count >= batchSize else {
            throw TrainingError.invalidInput("\(captions.count) images are fewer than one batch of \(batchSize)")
        }
        if let i = captions.firstIndex(where: \.isEmpty) { throw TrainingError.invalidInput("image \(i) has no caption") }
        if let twins {
            guard (0...1).contains(twins.fraction) else { throw TrainingError.invalidConfig("mirror-twin fraction \(twins.fraction) is not in [0, 1]") }
            guard twins.captions.count == captions.count, zip(twins.captions, captions).allSatisfy({ $0.count == $1.count }) else {
                throw TrainingError.invalidInput("mirror-twin captions do not match the captions image for image")
            }
        }
        if let shapeTwins {
            guard (0...1).contains(shapeTwins.fraction) else { throw TrainingError.invalidConfig("shape-twin fraction \(shapeTwins.fraction) is not in [0, 1]") }
            guard shapeTwins.captions.count == captions.count,
                  zip(shapeTwins.captions, captions).allSatisfy({ $0 == nil || $0!.count == $1.count }) else {
                throw TrainingError.invalidInput("shape-twin captions do not match the captions image for image")
            }
        }
        let perEpoch = captions.count / batchSize
        let end = min(options.totalSteps, stopAt ?? options.totalSteps)
        while step < end {
            let epoch = step / perEpoch, k = step % perEpoch
            let order = GPT2LanguageModelTrainer.epochOrder(count: captions.count, epoch: epoch, seed: seed)
            let window = order[k * batchSize..<(k + 1) * batchSize]
            func draw(_ i: Int) -> Int { Self.captionDraw(seed: seed, epoch: epoch, image: i, of: captions[i].count) }
            var stepRNG = SeededRNG(seed: seed ^ 0x7457_494E ^ (UInt64(step) &* 0x94D0_49BB_1331_11EB))
            let mirrored = twins.map { stepRNG.uniform() < $0.fraction } ?? false
            let reshaped = shapeTwins.map { stepRNG.uniform() < $0.fraction } ?? false
            guard mirrored || reshaped else {
                let images = Array(window)
                let (loss, lr) = try self.step(pixels: try pixels(images), ids: images.map { captions[$0][draw($0)] })
                try progress(step, loss, lr)
                continue
            }
            var images: [Int] = [], ids: [[Int]] = [], flips: [(row: Int, horizontal: Bool)] = []
            for i in window where images.count < batchSize {
                let j = draw(i)
                images.append(i); ids.append(captions[i][j])
                guard images.count < batchSize else { break }
                if reshaped, let twin = shapeTwins?.captions[i] {
                    images.append(captions.count + i); ids.append(twin[j])
                } else if mirrored, let twins {
                    flips.append((images.count, twins.captions[i][j].horizontal))
                    images.append(i); ids.append(twins.captions[i][j].ids)
                }
            }
            var batch = try pixels(images)
            for f in flips { Self.mirror(&batch, image: f.row, horizontal: f.horizontal) }
            let (loss, lr) = try self.step(pixels: batch, ids: ids)
            try progress(step, loss, lr)
        }
    }

    /// Flips image `image` of a (B, channels, S, S) tensor in place: left–right, or top–bottom.
    public static func mirror(_ pixels: inout Tensor, image: Int, horizontal: Bool) {
        let ch = pixels.shape[1], h = pixels.shape[2], w = pixels.shape[3]
        let base = pixels.mutableData + image * ch * h * w
        for c in 0..<ch {
            let plane = base + c * h * w
            if horizontal {
                for y in 0..<h {
                    let row = plane + y * w
                    for x in 0..<w / 2 { swap(&row[x], &row[w - 1 - x]) }
                }
            } else {
                for y in 0..<h / 2 {
                    for x in 0..<w { swap(&plane[y * w + x], &plane[(h - 1 - y) * w + x]) }
                }
            }
        }
    }

    // MARK: saving

    /// Writes `folder/config.json` (CLIPConfig with HF names: text_config, vision_config, projection_dim,
    /// logit_scale_init_value, plus "architectures": ["CLIPModel"] and the model types) and
    /// `folder/model.safetensors` (every weight under transformers' CLIPModel name, the layout save_pretrained
    /// writes), loadable by `CLIPModel(folder:)` and transformers' CLIPModel.from_pretrained. Atomic:
    /// everything goes into a temporary folder beside `folder`, which is then renamed over it.
    /// With `tokenizer`, its vocab.json and merges.txt are copied in; `extraFiles` (name → contents, e.g. a
    /// preprocessor_config.json) are written beside them, inside the same atomic replacement.
    public func save(to folder: URL, tokenizer: URL? = nil, extraFiles: [String: Data] = [:]) throws {
        let fm = FileManager.default
        if let tokenizer {
            for name in ["vocab.json", "merges.txt"] where !fm.fileExists(atPath: tokenizer.appendingPathComponent(name).path) {
                throw TrainingError.invalidConfig("\(tokenizer.appendingPathComponent(name).path): no such file (a tokenizer folder needs vocab.json and merges.txt)")
            }
        }
        var tensors: [String: Tensor] = [:]
        visitParameters { name, shape, p in tensors[name] = Tensor(copying: p, shape: shape) }
        let configData = try Self.configJSON(config)
        try AtomicWrite.writeDirectory(at: folder) { tmp in
            try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: tmp.appendingPathComponent("model.safetensors"))
            try configData.write(to: tmp.appendingPathComponent("config.json"))
            if let tokenizer {
                for name in ["vocab.json", "merges.txt"] {
                    try fm.copyItem(at: tokenizer.appendingPathComponent(name), to: tmp.appendingPathComponent(name))
                }
            }
            for (name, data) in extraFiles { try data.write(to: tmp.appendingPathComponent(name)) }
        }
    }

    /// config.json: CLIPConfig's own HF keys plus what from_pretrained needs to pick the classes.
    static func configJSON(_ config: CLIPConfig) throws -> Data {
        let encoded = try JSONEncoder().encode(config)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any],
              var text = object["text_config"] as? [String: Any], var vision = object["vision_config"] as? [String: Any] else {
            throw TrainingError.invalidConfig("CLIPConfig did not encode as a JSON object")
        }
        // Floats written as their shortest decimal (1e-05), not as the nearest Double (9.99999974737875e-06)
        func shortest(_ x: Float) -> Double { Double(String(x)) ?? Double(x) }
        text["layer_norm_eps"] = shortest(config.textConfig.layerNormEps)
        text["model_type"] = "clip_text_model"
        text["projection_dim"] = config.projectionDim
        vision["layer_norm_eps"] = shortest(config.visionConfig.layerNormEps)
        vision["model_type"] = "clip_vision_model"
        vision["projection_dim"] = config.projectionDim
        object["text_config"] = text
        object["vision_config"] = vision
        object["logit_scale_init_value"] = shortest(config.logitScaleInitValue)
        object["architectures"] = ["CLIPModel"]
        object["model_type"] = "clip"
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
