import Foundation
import Testing
import Tensor
import Models
import TestSupport

/// The whole CLIP training backward (both towers, both projections, logit_scale) against central finite
/// differences of a Double re-statement of transformers' CLIPModel(return_loss=True) forward, on a tiny
/// odd-shaped model: every element of every parameter. h = 1e-5 in Double; tolerance 5e-5 absolute + 1e-4
/// relative, as FiniteDifferenceTests, for our float32 arithmetic.
@Suite struct CLIPFiniteDifferenceTests {
    typealias Params = [String: [Double]]

    static let config = CLIPConfig(
        textConfig: CLIPTextConfig(hiddenSize: 4, intermediateSize: 6, attentionHeads: 2, layers: 1, maxPositions: 5, vocabSize: 7,
                                   hiddenAct: .quickGelu, eosTokenId: 6),
        visionConfig: CLIPVisionConfig(hiddenSize: 6, intermediateSize: 5, attentionHeads: 2, layers: 1, imageSize: 4, patchSize: 2,
                                       hiddenAct: .gelu),
        projectionDim: 3)
    // rows end at different places; padding (EOS) after the first EOS
    static let ids: [Int32] = [0, 3, 5, 6, 6, 0, 2, 6, 6, 6, 0, 1, 4, 2, 6]
    static let b = 3, t = 5

    // MARK: Double re-statement

    static func layerNorm(_ x: [Double], rows: Int, _ c: Int, _ p: Params, _ name: String) -> [Double] {
        let g = p[name + ".weight"]!, beta = p[name + ".bias"]!
        var y = x
        for r in 0..<rows {
            let row = x[r * c..<(r + 1) * c], m = row.reduce(0, +) / Double(c)
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c)
            for j in 0..<c { y[r * c + j] = (x[r * c + j] - m) / (v + 1e-5).squareRoot() * g[j] + beta[j] }
        }
        return y
    }

    static func linear(_ x: [Double], rows: Int, _ i: Int, _ o: Int, _ p: Params, _ name: String, bias: Bool = true) -> [Double] {
        let w = p[name + ".weight"]!, bv = bias ? p[name + ".bias"]! : [Double](repeating: 0, count: o)
        var y = [Double](repeating: 0, count: rows * o)
        for r in 0..<rows { for k in 0..<o { y[r * o + k] = bv[k] + (0..<i).reduce(0) { $0 + x[r * i + $1] * w[k * i + $1] } } }
        return y
    }

    static func activate(_ x: Double, _ act: Activation) -> Double {
        switch act {
        case .quickGelu: return x / (1 + Foundation.exp(-1.702 * x))
        default: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))   // exact gelu
        }
    }

    /// transformers' CLIPEncoderLayer over x (B·T, C).
    static func encoderLayer(_ x: [Double], b: Int, t: Int, c: Int, heads: Int, inter: Int, act: Activation, causal: Bool,
                             _ p: Params, _ pre: String) -> [Double] {
        let n = b * t, hs = c / heads
        let h = layerNorm(x, rows: n, c, p, pre + "layer_norm1")
        let q = linear(h, rows: n, c, c, p, pre + "self_attn.q_proj"), k = linear(h, rows: n, c, c, p, pre + "self_attn.k_proj")
        let v = linear(h, rows: n, c, c, p, pre + "self_attn.v_proj")
        var att = [Double](repeating: 0, count: n * c)
        for bi in 0..<b {
            for hd in 0..<heads {
                for i in 0..<t {
                    let visible = causal ? i + 1 : t
                    var s = (0..<visible).map { j in
                        (0..<hs).reduce(0) { $0 + q[(bi * t + i) * c + hd * hs + $1] * k[(bi * t + j) * c + hd * hs + $1] } / Double(hs).squareRoot()
                    }
                    let m = s.max()!
                    s = s.map { Foundation.exp($0 - m) }
                    let z = s.reduce(0, +)
                    for e in 0..<hs {
                        att[(bi * t + i) * c + hd * hs + e] = (0..<visible).reduce(0) { $0 + s[$1] / z * v[(bi * t + $1) * c + hd * hs + e] }
                    }
                }
            }
        }
        let o = linear(att, rows: n, c, c, p, pre + "self_attn.out_proj")
        let mid = zip(x, o).map { $0 + $1 }
        let h2 = layerNorm(mid, rows: n, c, p, pre + "layer_norm2")
        let f = linear(h2, rows: n, c, inter, p, pre + "mlp.fc1").map { activate($0, act) }
        return zip(mid, linear(f, rows: n, inter, c, p, pre + "mlp.fc2")).map { $0 + $1 }
    }

    static func textEmbeddings(_ p: Params) -> [Double] {
        let tc = config.textConfig, c = tc.hiddenSize, d = config.projectionDim
        let tok = p["text_model.embeddings.token_embedding.weight"]!, pos = p["text_model.embeddings.position_embedding.weight"]!
        var x = [Double](repeating: 0, count: b * t * c)
        for r in 0..<b { for j in 0..<t { for q in 0..<c { x[(r * t + j) * c + q] = tok[Int(ids[r * t + j]) * c + q] + pos[j * c + q] } } }
        for l in 0..<tc.layers {
            x = encoderLayer(x, b: b, t: t, c: c, heads: tc.attentionHeads, inter: tc.intermediateSize, act: tc.hiddenAct, causal: true,
                             p, "text_model.encoder.layers.\(l).")
        }
        x = layerNorm(x, rows: b * t, c, p, "text_model.final_layer_norm")
        // pooling at the first eos_token_id (eos ≠ 2)
        let pooled = (0..<b).flatMap { r -> [Double] in
            let e = (0..<t).first { ids[r * t + $0] == Int32(tc.eosTokenId) }!
            return Array(x[(r * t + e) * c..<(r * t + e + 1) * c])
        }
        return linear(pooled, rows: b, c, d, p, "text_projection", bias: false)
    }

    static func imageEmbeddings(_ p: Params, pixels: [Double]) -> [Double] {
        let vc = config.visionConfig, c = vc.hiddenSize, s = vc.imageSize, ps = vc.patchSize, ch = vc.channels, d = config.projectionDim
        let g = s / ps, np = g * g, tv = np + 1
        let w = p["vision_model.embeddings.patch_embedding.weight"]!   // (C, ch, P, P)
        let cls = p["vision_model.embeddings.class_embedding"]!, pos = p["vision_model.embeddings.position_embedding.weight"]!
        var x = [Double](repeating: 0, count: b * tv * c)
        for img in 0..<b {
            for q in 0..<c { x[(img * tv) * c + q] = cls[q] + pos[q] }
            for py in 0..<g {
                for px in 0..<g {
                    let j = 1 + py * g + px
                    for q in 0..<c {
                        var acc = 0.0
                        for cc in 0..<ch { for ky in 0..<ps { for kx in 0..<ps {
                            acc += w[((q * ch + cc) * ps + ky) * ps + kx] * pixels[((img * ch + cc) * s + py * ps + ky) * s + px * ps + kx]
                        } } }
                        x[(img * tv + j) * c + q] = acc + pos[j * c + q]
                    }
                }
            }
        }
        x = layerNorm(x, rows: b * tv, c, p, "vision_model.pre_layrnorm")
        for l in 0..<vc.layers {
            x = encoderLayer(x, b: b, t: tv, c: c, heads: vc.attentionHeads, inter: vc.intermediateSize, act: vc.hiddenAct, causal: false,
                             p, "vision_model.encoder.layers.\(l).")
        }
        let first = (0..<b).flatMap { img in Array(x[(img * tv) * c..<(img * tv + 1) * c]) }
        return linear(layerNorm(first, rows: b, c, p, "vision_model.post_layernorm"), rows: b, c, d, p, "visual_projection", bias: false)
    }

    static func loss(_ p: Params, pixels: [Double]) -> Double {
        CLIPTrainingTests.lossRef(imageEmbeddings(p, pixels: pixels), textEmbeddings(p), p["logit_scale"]![0], b: b, d: config.projectionDim)
    }

    @Test func everyGradientMatchesFiniteDifferences() throws {
        var rng = SeededRNG(seed: 17)
        var model = try CLIPModel(config: Self.config, parameters: ZeroParameters())
        model.visitParameters { name, shape, p in
            let isNormWeight = (name.contains("norm") || name.contains("layrnorm")) && name.hasSuffix("weight")
            for i in 0..<shape.reduce(1, *) { p[i] = Float((isNormWeight ? 1 : 0) + 0.5 * rng.normal()) }
            if name == "logit_scale" { p[0] = 0.9 }
        }
        let vc = Self.config.visionConfig
        let pixelValues = (0..<(Self.b * vc.channels * vc.imageSize * vc.imageSize)).map { _ in rng.normal() }
        let pixels = Tensor(shape: [Self.b, vc.channels, vc.imageSize, vc.imageSize], values: pixelValues.map { Float($0) })
        var grads = try model.zeroed()
        var ws = CLIPTrainingWorkspace()
        let loss = try model.contrastiveGradients(pixels: pixels, ids: Self.ids, batch: Self.b, tokens: Self.t, workspace: &ws, grads: &grads)

        var params: Params = [:], order: [String] = []
        model.visitParameters { name, shape, p in params[name] = (0..<shape.reduce(1, *)).map { Double(p[$0]) }; order.append(name) }
        let pixelsD = pixels.scalars.map { Double($0) }
        expectClose([loss], [Self.loss(params, pixels: pixelsD)], atol: 1e-5, "loss")
        var analytic: Params = [:]
        grads.visitParameters { name, shape, p in analytic[name] = (0..<shape.reduce(1, *)).map { Double(p[$0]) } }
        let h = 1e-5
        var worst = 0.0, count = 0
        for name in order {
            let numeric = (0..<params[name]!.count).map { i -> Double in
                var plus = params, minus = params
                plus[name]![i] += h; minus[name]![i] -= h
                return (Self.loss(plus, pixels: pixelsD) - Self.loss(minus, pixels: pixelsD)) / (2 * h)
            }
            worst = max(worst, expectClose(analytic[name]!, numeric, atol: 5e-5, rtol: 1e-4, "∂\(name)"))
            #expect(numeric.contains { $0 != 0 } , "\(name): the loss does not depend on it")
            count += numeric.count
        }
        print("CLIP finite differences: \(order.count) tensors, \(count) elements, max |Δ| \(worst)")
    }
}
