import Foundation
import Tensor
import Layers

// port of the semantics of transformers' CLIPVisionTransformer + CLIPModel.get_image_features.

/// The CLIP vision tower and its projection.  pixels: (B, 3, H, W) → image embeddings (B, projection_dim).
public struct CLIPVisionModel {
    public let config: CLIPVisionConfig
    var patchWeight: Tensor        // (C, 3·P·P): the conv kernel (C, 3, P, P) flattened, used as a GEMM
    var classEmbedding: Tensor     // (C)
    var positionEmbedding: Tensor  // (positions, C)
    var preNorm: LayerNorm
    var encoder: TransformerEncoder
    var postNorm: LayerNorm
    var projection: Linear         // (proj, C), no bias

    /// Parameters under `vision_model.` and `visual_projection` (transformers' CLIPModel names).
    public init<P: ParameterSource>(config: CLIPVisionConfig, projectionDim: Int, parameters p: P) throws {
        self.config = config
        let c = config.hiddenSize, ps = config.patchSize, ch = config.channels
        let v = p.scoped("vision_model.")
        patchWeight = try v.tensor("embeddings.patch_embedding.weight", [c, ch, ps, ps]).reshaped([c, ch * ps * ps])
        classEmbedding = try v.tensor("embeddings.class_embedding", [c])
        positionEmbedding = try v.tensor("embeddings.position_embedding.weight", [config.positions, c])
        preNorm = try v.layerNorm("pre_layrnorm", size: c, eps: config.layerNormEps)
        encoder = try TransformerEncoder.clip(v.scoped("encoder."), width: c, intermediate: config.intermediateSize,
                                  heads: config.attentionHeads, layers: config.layers, act: config.hiddenAct, eps: config.layerNormEps)
        postNorm = try v.layerNorm("post_layernorm", size: c, eps: config.layerNormEps)
        projection = try p.linear("visual_projection", in: c, out: projectionDim, bias: false)
    }

    public struct Output {
        /// (B, 1 + patches, C): the encoder output (transformers applies no norm here).
        public var lastHiddenState: Tensor
        /// (B, C): post_layernorm of the class token.
        public var pooled: Tensor
        /// (B, projection_dim): visual_projection(pooled), not normalized.
        public var embeddings: Tensor
        /// HF's hidden_states: pre_layrnorm(embeddings), then the output of each layer.
        public var hiddenStates: [Tensor]
    }

    /// Forward over pixel values (B, channels, image_size, image_size).
    public func forward(pixels: Tensor, collectHiddenStates: Bool = false) throws -> Output {
        var x = try embedPatches(pixels)
        let b = x.shape[0], t = x.shape[1], c = config.hiddenSize
        var hidden: [Tensor] = collectHiddenStates ? [x] : []
        encoder.forward(&x, batch: b, tokens: t, causal: false, onHiddenState: collectHiddenStates ? { hidden.append($0) } : nil)
        var cls = Tensor(uninitialized: [b, c])
        for img in 0..<b { (cls.mutableData + img * c).update(from: x.data + img * t * c, count: c) }
        let pooled = postNorm.forward(cls)
        return Output(lastHiddenState: x, pooled: pooled, embeddings: projection.forward(pooled), hiddenStates: hidden)
    }

    /// The image embeddings only, (B, projection_dim): equal to `forward(...).embeddings`, computed with
    /// the pooled-row shortcut in the last layer (only the class token's output is pooled).
    /// The batch is split across the cores (data parallel), each part with single-threaded BLAS.
    public func embed(pixels: Tensor) throws -> Tensor {
        let s = config.imageSize, ch = config.channels
        guard pixels.rank == 4, pixels.shape[1] == ch, pixels.shape[2] == s, pixels.shape[3] == s else {
            throw ModelError.invalidInput("pixel tensor has shape \(pixels.shape), expected (B, \(ch), \(s), \(s))")
        }
        let b = pixels.shape[0], d = projection.outFeatures
        var out = Tensor(uninitialized: [b, d])
        let dst = out.mutableData
        Parallel.splitAcrossCores(b) { part in
            var x = patchEmbeddings(part.count == b ? pixels : pixels.rows(part.lowerBound, part.count))
            let t = x.shape[1]
            let cls = encoder.forwardPooled(&x, batch: part.count, tokens: t, causal: false, rows: [Int](repeating: 0, count: part.count))
            let e = projection.forward(postNorm.forward(cls))
            (dst + part.lowerBound * d).update(from: e.data, count: part.count * d)
        }
        return out
    }

    /// Checks that pixels are (B, channels, image_size, image_size), then `patchEmbeddings`.
    func embedPatches(_ pixels: Tensor) throws -> Tensor {
        let s = config.imageSize, ch = config.channels
        guard pixels.rank == 4, pixels.shape[1] == ch, pixels.shape[2] == s, pixels.shape[3] == s else {
            throw ModelError.invalidInput("pixel tensor has shape \(pixels.shape), expected (B, \(ch), \(s), \(s))")
        }
        return patchEmbeddings(pixels)
    }

    /// Patch, class and position embeddings followed by pre_layrnorm: HF's hidden_states[0], (B, 1 + patches, C).
    /// `pixels` must already have the checked shape.
    func patchEmbeddings(_ pixels: Tensor) -> Tensor {
        let s = config.imageSize, ps = config.patchSize, ch = config.channels, c = config.hiddenSize
        let b = pixels.shape[0], g = s / ps, np = g * g, t = np + 1, k = ch * ps * ps
        var cols = Tensor(uninitialized: [b * np, k])
        im2col(pixels.data, batch: b, into: cols.mutableData)
        var patches = Tensor(uninitialized: [b * np, c])
        gemm(transB: true, m: b * np, n: c, k: k, a: cols.data, lda: k, b: patchWeight.data, ldb: k, c: patches.mutableData, ldc: c)
        var x = Tensor(uninitialized: [b, t, c])
        let xp = x.mutableData, pe = positionEmbedding.data, ce = classEmbedding.data, pp = patches.data
        for img in 0..<b {
            for j in 0..<t {
                let dst = xp + (img * t + j) * c, pos = pe + j * c
                let src = j == 0 ? ce : pp + (img * np + j - 1) * c
                for q in 0..<c { dst[q] = src[q] + pos[q] }
            }
        }
        preNorm.forward(x.data, rows: b * t, into: xp)
        return x
    }

    /// im2col for the patch-embedding conv: pixels (B, channels, S, S) → cols (B·patches, channels·P·P), one
    /// row per patch (row-major over the patch grid), columns in the kernel's (channel, ky, kx) order, so
    /// that the conv is cols·Wᵀ with W the (C, channels·P·P) flattened kernel.
    func im2col(_ pix: UnsafePointer<Float>, batch b: Int, into colp: UnsafeMutablePointer<Float>) {
        let s = config.imageSize, ps = config.patchSize, ch = config.channels
        let g = s / ps, np = g * g, k = ch * ps * ps
        Parallel.forEachChunk(b * np, costPerItem: k) { range in
            for row in range {
                let img = row / np, py = (row % np) / g, px = row % g
                var dst = colp + row * k
                for cc in 0..<ch {
                    for ky in 0..<ps {
                        let src = pix + ((img * ch + cc) * s + py * ps + ky) * s + px * ps
                        dst.update(from: src, count: ps)
                        dst += ps
                    }
                }
            }
        }
    }
}
