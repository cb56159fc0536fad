import Foundation
import Tensor
import Layers

// CLIP training: forward with saved activations and backward of both towers (transformers' CLIPTextTransformer
// and CLIPVisionTransformer with their projections), for CLIPModel(return_loss=True). The encoder layers are
// the shared pre-LN block pair (BlockTraining.swift): CLIPEncoderLayer is exactly
//   mid = x + out_proj(attn(layer_norm1(x)));  out = mid + fc2(act(fc1(layer_norm2(mid))))
// with biased, fused q/k/v. Each backward reads as its forward reversed and accumulates into `grads`.
// Legend: B batch, T tokens, N = B·T rows, C width, D projection_dim, NP patches, K = channels·P·P.

// MARK: parameters by checkpoint name

extension TransformerEncoder {
    /// transformers' CLIPEncoder names under `prefix` (`…encoder.`). q, k and v are stored fused as rows
    /// [q | k | v] of one (3C, C) weight and a (3C) bias, so each is visited as a view of the fused tensor.
    mutating func visitCLIPParameters(_ prefix: String, _ body: ParameterVisitor) rethrows {
        let c = width
        for i in layers.indices {
            let p = prefix + "layers.\(i)."
            let w = layers[i].qkv.weight.mutableData
            try body(p + "self_attn.q_proj.weight", [c, c], w)
            try body(p + "self_attn.k_proj.weight", [c, c], w + c * c)
            try body(p + "self_attn.v_proj.weight", [c, c], w + 2 * c * c)
            if layers[i].qkv.bias != nil {
                let bias = layers[i].qkv.bias!.mutableData
                try body(p + "self_attn.q_proj.bias", [c], bias)
                try body(p + "self_attn.k_proj.bias", [c], bias + c)
                try body(p + "self_attn.v_proj.bias", [c], bias + 2 * c)
            }
            try layers[i].outProj.visit(p + "self_attn.out_proj", body)
            try layers[i].norm1.visit(p + "layer_norm1", body)
            try layers[i].mlp.fc1.visit(p + "mlp.fc1", body)
            try layers[i].mlp.fc2.visit(p + "mlp.fc2", body)
            try layers[i].norm2.visit(p + "layer_norm2", body)
        }
    }
}

extension CLIPTextModel {
    /// `text_model.…` and `text_projection.weight`, transformers' CLIPModel names.
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try body("text_model.embeddings.token_embedding.weight", tokenEmbedding.shape, tokenEmbedding.mutableData)
        try body("text_model.embeddings.position_embedding.weight", positionEmbedding.shape, positionEmbedding.mutableData)
        try encoder.visitCLIPParameters("text_model.encoder.", body)
        try finalNorm.visit("text_model.final_layer_norm", body)
        try projection.visit("text_projection", body)
    }
}

extension CLIPVisionModel {
    /// `vision_model.…` and `visual_projection.weight`, transformers' CLIPModel names (the patch kernel
    /// reported as the checkpoint's (C, channels, P, P); we hold it flattened to (C, K), the same memory).
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        let c = config.hiddenSize, ps = config.patchSize
        try body("vision_model.embeddings.class_embedding", [c], classEmbedding.mutableData)
        try body("vision_model.embeddings.patch_embedding.weight", [c, config.channels, ps, ps], patchWeight.mutableData)
        try body("vision_model.embeddings.position_embedding.weight", positionEmbedding.shape, positionEmbedding.mutableData)
        try preNorm.visit("vision_model.pre_layrnorm", body)   // sic: transformers' spelling
        try encoder.visitCLIPParameters("vision_model.encoder.", body)
        try postNorm.visit("vision_model.post_layernorm", body)
        try projection.visit("visual_projection", body)
    }
}

extension CLIPModel {
    /// Every parameter by transformers' CLIPModel name (the names `save_pretrained` writes): the text tower,
    /// the vision tower, both projections and `logit_scale` (shape [], one Float).
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try text.visitParameters(body)
        try vision.visitParameters(body)
        try body("logit_scale", [], logitScale.mutableData)
    }

    /// A model of the same shapes holding zeros: the gradients of a trained CLIP.
    public func zeroed() throws -> CLIPModel { try CLIPModel(config: config, parameters: ZeroParameters()) }
}

// MARK: text tower

/// Activations and gradient buffers of the text tower for up to (batch, tokens), allocated once.
public struct CLIPTextTrainingWorkspace {
    var stack: BlockStackWorkspace
    var last, dLast: Tensor              // (N, C): final_layer_norm output, and its gradient
    var mean, rstd: Tensor               // (N): final_layer_norm statistics
    var pooled, dPooled: Tensor          // (B, C): the rows at the pooling positions
    var embeddings: Tensor               // (B, D): text_projection(pooled)
    var ids: [Int32] = [], positions: [Int] = []
    let batchCapacity: Int, tokenCapacity: Int
    public internal(set) var batch = 0, tokens = 0

    public init(config: CLIPTextConfig, projectionDim d: Int, batch b: Int, tokens t: Int) {
        let n = b * t, c = config.hiddenSize
        stack = BlockStackWorkspace(layers: config.layers, batch: b, tokens: t, width: c, hidden: config.intermediateSize,
                                    heads: config.attentionHeads)
        last = Tensor(uninitialized: [n, c]); dLast = Tensor(uninitialized: [n, c])
        mean = Tensor(uninitialized: [n]); rstd = Tensor(uninitialized: [n])
        pooled = Tensor(uninitialized: [b, c]); dPooled = Tensor(uninitialized: [b, c])
        embeddings = Tensor(uninitialized: [b, d])
        batchCapacity = b; tokenCapacity = t
    }

    /// Whether a step of this (B, T) fits without reallocating.
    public func fits(batch b: Int, tokens t: Int) -> Bool { b <= batchCapacity && t <= tokenCapacity }

    /// After `trainingForward`: the text embeddings (B, D), not normalized.
    public var output: UnsafePointer<Float> { embeddings.data }
}

extension CLIPTextModel {
    /// ids (B·T, row-major) → ws.output (B, D), saving what `trainingBackward` needs. Same result as `forward`.
    /// Throws on ids outside the vocabulary, T > max_position_embeddings, or a (B, T) the workspace does not fit.
    public func trainingForward(ids: [Int32], batch b: Int, tokens t: Int, _ ws: inout CLIPTextTrainingWorkspace) throws {
        try validate(ids: ids, batch: b, tokens: t)
        guard ws.fits(batch: b, tokens: t) else { throw ModelError.invalidInput("a text batch of (\(b), \(t)) does not fit the workspace") }
        let c = config.hiddenSize, n = b * t
        ws.batch = b; ws.tokens = t; ws.ids = ids
        writeEmbeddings(ids: ids, batch: b, tokens: t, into: ws.stack.residuals[0].mutableData)
        encoder.layers.trainingForward(&ws.stack, shape: BlockShape(batch: b, tokens: t, heads: config.attentionHeads, causal: true))
        finalNorm.forwardTraining(ws.stack.residuals[encoder.layers.count].data, rows: n, into: ws.last.mutableData,
                                  mean: ws.mean.mutableData, rstd: ws.rstd.mutableData)
        // pooling as transformers' CLIPTextTransformer (argmax of ids or first eos_token_id, see poolingPositions)
        ws.positions = poolingPositions(ids: ids, batch: b, tokens: t)
        let pooled = ws.pooled.mutableData
        for (r, p) in ws.positions.enumerated() { (pooled + r * c).update(from: ws.last.data + (r * t + p) * c, count: c) }
        projection.forward(ws.pooled.data, rows: b, into: ws.embeddings.mutableData)
    }

    /// From ∂L/∂embeddings (B, D) back through text_projection, the pooling, final_layer_norm, the causal
    /// encoder and both embeddings, accumulating every gradient into `grads`.
    public func trainingBackward(_ dEmbeddings: UnsafePointer<Float>, _ ws: inout CLIPTextTrainingWorkspace, grads: inout CLIPTextModel) {
        let b = ws.batch, t = ws.tokens, c = config.hiddenSize, n = b * t
        projection.backwardInput(dEmbeddings, rows: b, into: ws.dPooled.mutableData)
        projection.accumulateGradients(dEmbeddings, input: ws.pooled.data, rows: b, into: &grads.projection)
        // only the pooled rows of the final norm's output carry a gradient
        let dLast = ws.dLast.mutableData
        dLast.update(repeating: 0, count: n * c)
        for (r, p) in ws.positions.enumerated() { (dLast + (r * t + p) * c).update(from: ws.dPooled.data + r * c, count: c) }
        let dres = ws.stack.dres.mutableData
        dres.update(repeating: 0, count: n * c)
        finalNorm.backward(ws.dLast.data, input: ws.stack.residuals[encoder.layers.count].data, mean: ws.mean.data, rstd: ws.rstd.data,
                           rows: n, accumulatingInto: dres, grads: &grads.finalNorm)
        let shape = BlockShape(batch: b, tokens: t, heads: config.attentionHeads, causal: true)
        withUnsafeMutablePointer(to: &grads.encoder.layers) { encoder.layers.trainingBackward(&ws.stack, shape: shape, grads: $0) }
        // x = token_embedding[ids] + position_embedding[0..<T]
        let dx = ws.stack.dres.data, dTok = grads.tokenEmbedding.mutableData, dPos = grads.positionEmbedding.mutableData
        for r in 0..<b {
            addInPlace(dPos, dx + r * t * c, count: t * c)
            for j in 0..<t { addInPlace(dTok + Int(ws.ids[r * t + j]) * c, dx + (r * t + j) * c, count: c) }
        }
    }
}

// MARK: vision tower

/// Activations and gradient buffers of the vision tower for up to `batch` images, allocated once.
public struct CLIPVisionTrainingWorkspace {
    var cols: Tensor                     // (B·NP, K): im2col of the pixels
    var patches: Tensor                  // (B·NP, C): the conv output; its gradient during backward
    var embedded, dEmbedded: Tensor      // (N, C): class/patch + position embeddings, before pre_layrnorm
    var preMean, preRstd: Tensor         // (N)
    var stack: BlockStackWorkspace
    var cls, dCls, pooled, dPooled: Tensor   // (B, C): the class-token output, post_layernorm of it
    var postMean, postRstd: Tensor       // (B)
    var embeddings: Tensor               // (B, D)
    let batchCapacity: Int
    public internal(set) var batch = 0

    public init(config: CLIPVisionConfig, projectionDim d: Int, batch b: Int) {
        let c = config.hiddenSize, t = config.positions, np = t - 1, n = b * t
        let k = config.channels * config.patchSize * config.patchSize
        cols = Tensor(uninitialized: [b * np, k]); patches = Tensor(uninitialized: [b * np, c])
        embedded = Tensor(uninitialized: [n, c]); dEmbedded = Tensor(uninitialized: [n, c])
        preMean = Tensor(uninitialized: [n]); preRstd = Tensor(uninitialized: [n])
        stack = BlockStackWorkspace(layers: config.layers, batch: b, tokens: t, width: c, hidden: config.intermediateSize,
                                    heads: config.attentionHeads)
        cls = Tensor(uninitialized: [b, c]); dCls = Tensor(uninitialized: [b, c])
        pooled = Tensor(uninitialized: [b, c]); dPooled = Tensor(uninitialized: [b, c])
        postMean = Tensor(uninitialized: [b]); postRstd = Tensor(uninitialized: [b])
        embeddings = Tensor(uninitialized: [b, d])
        batchCapacity = b
    }

    public func fits(batch b: Int) -> Bool { b <= batchCapacity }

    /// After `trainingForward`: the image embeddings (B, D), not normalized.
    public var output: UnsafePointer<Float> { embeddings.data }
}

extension CLIPVisionModel {
    /// pixels (B, channels, S, S) → ws.output (B, D), saving what `trainingBackward` needs. Same result as `forward`.
    public func trainingForward(pixels: Tensor, _ ws: inout CLIPVisionTrainingWorkspace) throws {
        let s = config.imageSize, ch = config.channels
        guard pixels.rank == 4, pixels.shape[1] == ch, pixels.shape[2] == s, pixels.shape[3] == s else {
            throw ModelError.invalidInput("pixel tensor has shape \(pixels.shape), expected (B, \(ch), \(s), \(s))")
        }
        let b = pixels.shape[0], c = config.hiddenSize, t = config.positions, np = t - 1, n = b * t
        let k = ch * config.patchSize * config.patchSize
        guard ws.fits(batch: b) else { throw ModelError.invalidInput("a batch of \(b) images does not fit the workspace") }
        ws.batch = b
        // patch_embedding (a conv of stride P without bias) as im2col + GEMM: patches = cols·Wᵀ
        im2col(pixels.data, batch: b, into: ws.cols.mutableData)
        gemm(transB: true, m: b * np, n: c, k: k, a: ws.cols.data, lda: k, b: patchWeight.data, ldb: k, c: ws.patches.mutableData, ldc: c)
        let e = ws.embedded.mutableData, pe = positionEmbedding.data, ce = classEmbedding.data, pp = ws.patches.data
        for img in 0..<b {
            for j in 0..<t {
                let dst = e + (img * t + j) * c, pos = pe + j * c
                let src = j == 0 ? ce : pp + (img * np + j - 1) * c
                for q in 0..<c { dst[q] = src[q] + pos[q] }
            }
        }
        preNorm.forwardTraining(ws.embedded.data, rows: n, into: ws.stack.residuals[0].mutableData,
                                mean: ws.preMean.mutableData, rstd: ws.preRstd.mutableData)
        encoder.layers.trainingForward(&ws.stack, shape: BlockShape(batch: b, tokens: t, heads: config.attentionHeads, causal: false))
        let y = ws.stack.residuals[encoder.layers.count].data, cls = ws.cls.mutableData
        for img in 0..<b { (cls + img * c).update(from: y + img * t * c, count: c) }
        postNorm.forwardTraining(ws.cls.data, rows: b, into: ws.pooled.mutableData, mean: ws.postMean.mutableData, rstd: ws.postRstd.mutableData)
        projection.forward(ws.pooled.data, rows: b, into: ws.embeddings.mutableData)
    }

    /// From ∂L/∂embeddings (B, D) back through visual_projection, post_layernorm, the encoder, pre_layrnorm and
    /// the class, position and patch embeddings, accumulating every gradient into `grads`.
    public func trainingBackward(_ dEmbeddings: UnsafePointer<Float>, _ ws: inout CLIPVisionTrainingWorkspace, grads: inout CLIPVisionModel) {
        let b = ws.batch, c = config.hiddenSize, t = config.positions, np = t - 1, n = b * t
        let k = config.channels * config.patchSize * config.patchSize
        projection.backwardInput(dEmbeddings, rows: b, into: ws.dPooled.mutableData)
        projection.accumulateGradients(dEmbeddings, input: ws.pooled.data, rows: b, into: &grads.projection)
        let dCls = ws.dCls.mutableData
        dCls.update(repeating: 0, count: b * c)
        postNorm.backward(ws.dPooled.data, input: ws.cls.data, mean: ws.postMean.data, rstd: ws.postRstd.data, rows: b,
                          accumulatingInto: dCls, grads: &grads.postNorm)
        // only the class token of the encoder output is pooled
        let dres = ws.stack.dres.mutableData
        dres.update(repeating: 0, count: n * c)
        for img in 0..<b { (dres + img * t * c).update(from: ws.dCls.data + img * c, count: c) }
        let shape = BlockShape(batch: b, tokens: t, heads: config.attentionHeads, causal: false)
        withUnsafeMutablePointer(to: &grads.encoder.layers) { encoder.layers.trainingBackward(&ws.stack, shape: shape, grads: $0) }
        let de = ws.dEmbedded.mutableData
        de.update(repeating: 0, count: n * c)
        preNorm.backward(ws.stack.dres.data, input: ws.embedded.data, mean: ws.preMean.data, rstd: ws.preRstd.data, rows: n,
                         accumulatingInto: de, grads: &grads.preNorm)
        // embedded[img, 0] = class + pos[0];  embedded[img, 1 + j] = patches[img, j] + pos[1 + j]
        let dPos = grads.positionEmbedding.mutableData, dClass = grads.classEmbedding.mutableData, dPatches = ws.patches.mutableData
        for img in 0..<b {
            addInPlace(dPos, de + img * t * c, count: t * c)
            addInPlace(dClass, de + img * t * c, count: c)
            (dPatches + img * np * c).update(from: de + (img * t + 1) * c, count: np * c)
        }
        // ∂W (C, K) += ∂patchesᵀ·cols
        gemm(transA: true, m: c, n: k, k: b * np, a: ws.patches.data, lda: c, b: ws.cols.data, ldb: k,
             beta: 1, c: grads.patchWeight.mutableData, ldc: k)
    }
}

// MARK: the whole model

/// Workspaces of both towers and the contrastive loss's gradients, (re)allocated when a batch does not fit.
public struct CLIPTrainingWorkspace {
    var text: CLIPTextTrainingWorkspace?
    var vision: CLIPVisionTrainingWorkspace?
    var dImage, dText: Tensor            // (B, D)
    /// The last step's loss terms and embeddings, for logging and tests.
    public internal(set) var loss = CLIPContrastiveLoss.Result(loss: 0, dLogitScale: 0)

    public init() { dImage = Tensor(zeros: [0]); dText = Tensor(zeros: [0]) }

    /// After `contrastiveGradients`: the image and text embeddings (B, D), not normalized.
    public var imageEmbeddings: UnsafePointer<Float>? { vision?.output }
    public var textEmbeddings: UnsafePointer<Float>? { text?.output }
}

extension CLIPModel {
    /// transformers' CLIPModel(input_ids, pixel_values, return_loss=True).loss for B images and their B captions
    /// (ids (B·T), right-padded after the pooling position, so the causal tower needs no attention mask), and,
    /// accumulated into `grads`, the gradient of every parameter including `logit_scale`. Returns the loss.
    public func contrastiveGradients(pixels: Tensor, ids: [Int32], batch b: Int, tokens t: Int,
                                     workspace ws: inout CLIPTrainingWorkspace, grads: inout CLIPModel) throws -> Double {
        guard b >= 1, pixels.rank == 4, pixels.shape[0] == b else {
            throw ModelError.invalidInput("pixel tensor has shape \(pixels.shape), expected \(b) images")
        }
        let d = config.projectionDim
        if !(ws.text?.fits(batch: b, tokens: t) ?? false) {
            ws.text = CLIPTextTrainingWorkspace(config: config.textConfig, projectionDim: d, batch: b, tokens: t)
        }
        if !(ws.vision?.fits(batch: b) ?? false) {
            ws.vision = CLIPVisionTrainingWorkspace(config: config.visionConfig, projectionDim: d, batch: b)
        }
        if ws.dImage.count < b * d { ws.dImage = Tensor(uninitialized: [b, d]); ws.dText = Tensor(uninitialized: [b, d]) }
        try vision.trainingForward(pixels: pixels, &ws.vision!)
        try text.trainingForward(ids: ids, batch: b, tokens: t, &ws.text!)
        let result = CLIPContrastiveLoss.compute(image: ws.vision!.output, text: ws.text!.output, batch: b, dim: d,
                                                 logitScale: logitScale.data[0], dImage: ws.dImage.mutableData, dText: ws.dText.mutableData)
        ws.loss = result
        grads.logitScale.mutableData[0] += Float(result.dLogitScale)
        vision.trainingBackward(ws.dImage.data, &ws.vision!, grads: &grads.vision)
        text.trainingBackward(ws.dText.data, &ws.text!, grads: &grads.text)
        return result.loss
    }
}

// MARK: one tower under a loss of its own

/// One of CLIPModel's two towers.
public enum CLIPTower: String, CaseIterable, Sendable {
    case vision, text

    /// Whether a CLIPModel parameter name (`visitParameters`) belongs to this tower, its projection included.
    public func owns(_ name: String) -> Bool {
        switch self {
        case .vision: return name.hasPrefix("vision_model.") || name.hasPrefix("visual_projection.")
        case .text: return name.hasPrefix("text_model.") || name.hasPrefix("text_projection.")
        }
    }
}

extension CLIPModel {
    /// The loss that `loss` computes from one tower's embeddings of a batch, and, accumulated into `grads`, the
    /// gradient of that tower's weights (projection included; the other tower and logit_scale get none).
    /// The tower is the vision one with `pixels` (B, channels, S, S), else the text one with `ids` (B·T,
    /// right-padded after the pooling position as for `contrastiveGradients`). `loss` gets the embeddings
    /// (B, D, not normalized), B, and a (B, D) buffer to fill with ∂L/∂embeddings; it returns L.
    public func towerGradients(pixels: Tensor? = nil, ids: [Int32] = [], batch b: Int, tokens t: Int = 0,
                               workspace ws: inout CLIPTrainingWorkspace, grads: inout CLIPModel,
                               loss: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) throws -> Double) throws -> Double {
        let d = config.projectionDim
        if ws.dImage.count < b * d { ws.dImage = Tensor(uninitialized: [b, d]); ws.dText = Tensor(uninitialized: [b, d]) }
        if let pixels {
            guard b >= 1, pixels.rank == 4, pixels.shape[0] == b else {
                throw ModelError.invalidInput("pixel tensor has shape \(pixels.shape), expected \(b) images")
            }
            if !(ws.vision?.fits(batch: b) ?? false) {
                ws.vision = CLIPVisionTrainingWorkspace(config: config.visionConfig, projectionDim: d, batch: b)
            }
            try vision.trainingForward(pixels: pixels, &ws.vision!)
            let value = try loss(ws.vision!.output, b, ws.dImage.mutableData)
            vision.trainingBackward(ws.dImage.data, &ws.vision!, grads: &grads.vision)
            return value
        }
        if !(ws.text?.fits(batch: b, tokens: t) ?? false) {
            ws.text = CLIPTextTrainingWorkspace(config: config.textConfig, projectionDim: d, batch: b, tokens: t)
        }
        try text.trainingForward(ids: ids, batch: b, tokens: t, &ws.text!)
        let value = try loss(ws.text!.output, b, ws.dText.mutableData)
        text.trainingBackward(ws.dText.data, &ws.text!, grads: &grads.text)
        return value
    }
}
