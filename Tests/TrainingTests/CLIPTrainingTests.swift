import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// CLIP contrastive training against Tests/Fixtures/clip_training (gen_clip_training.py: a tiny seeded
/// transformers CLIPModel run in float64 with return_loss=True), and the loss's backward against finite
/// differences of a Double re-statement.
@Suite struct CLIPTrainingTests {
    static let folder = fixturesDirectory.appendingPathComponent("clip_training")

    /// The reference batch: pixels (4, 3, 32, 32), ids (4·10) and the options of the AdamW reference.
    static func reference() throws -> (SafeTensorsFile, Tensor, [Int32], Int, Int, TrainerOptions) {
        let ref = try SafeTensorsFile(path: folder.appendingPathComponent("reference.safetensors").path)
        let (shape, flat) = try ref.integers("input_ids")
        let a = try JSONSerialization.jsonObject(with: Data((ref.metadata["options"] ?? "[]").utf8)) as? [Double] ?? []
        #expect(a.count == 5)
        let options = TrainerOptions(learningRate: Float(a[0]), warmupSteps: Int(a[1]), totalSteps: Int(a[2]),
                                     weightDecay: Float(a[3]), gradientClip: Float(a[4]))
        return (ref, try ref.tensor("pixel_values"), flat.map { Int32($0) }, shape[0], shape[1], options)
    }

    /// Loss, both embeddings and the gradient of EVERY parameter (both towers, both projections, logit_scale)
    /// within 1e-5 absolute of transformers in float64.
    @Test func lossAndEveryGradientMatchTransformers() throws {
        let (ref, pixels, ids, b, t, _) = try Self.reference()
        let model = try CLIPModel(folder: Self.folder.appendingPathComponent("clip"))
        var grads = try model.zeroed()
        var ws = CLIPTrainingWorkspace()
        let loss = try model.contrastiveGradients(pixels: pixels, ids: ids, batch: b, tokens: t, workspace: &ws, grads: &grads)
        let lossDiff = expectClose([loss], try ref.tensor("loss").scalars, atol: 1e-5, "loss")
        let d = model.config.projectionDim
        let img = Array(UnsafeBufferPointer(start: ws.imageEmbeddings!, count: b * d))
        let txt = Array(UnsafeBufferPointer(start: ws.textEmbeddings!, count: b * d))
        let embDiff = max(expectClose(img, try ref.tensor("image_embeds").scalars, atol: 1e-5, "image_embeds"),
                          expectClose(txt, try ref.tensor("text_embeds").scalars, atol: 1e-5, "text_embeds"))
        var worst = 0.0, worstName = "", names: [String] = []
        try grads.visitParameters { name, shape, p in
            names.append(name)
            let expected = try ref.tensor("grad." + name)
            #expect(expected.shape == shape, "\(name): \(shape) vs \(expected.shape)")
            let diff = expectClose(UnsafeBufferPointer(start: p, count: shape.reduce(1, *)), expected.scalars, atol: 1e-5, "∂\(name)")
            if diff > worst { worst = diff; worstName = name }
        }
        let refNames = Set(ref.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        #expect(Set(names) == refNames, "names differ: \(Set(names).symmetricDifference(refNames).sorted())")
        #expect(names.count == refNames.count)
        print("CLIP training parity: loss \(loss) (|Δ| \(lossDiff)), embeddings max |Δ| \(embDiff), "
              + "\(names.count) gradients max |Δ| \(worst) at \(worstName)")
    }

    /// The training forward gives the inference forward's embeddings.
    @Test func trainingForwardEqualsInference() throws {
        let (_, pixels, ids, b, t, _) = try Self.reference()
        let model = try CLIPModel(folder: Self.folder.appendingPathComponent("clip"))
        var grads = try model.zeroed()
        var ws = CLIPTrainingWorkspace()
        _ = try model.contrastiveGradients(pixels: pixels, ids: ids, batch: b, tokens: t, workspace: &ws, grads: &grads)
        let d = model.config.projectionDim
        expectClose(UnsafeBufferPointer(start: ws.imageEmbeddings!, count: b * d), try model.vision.forward(pixels: pixels).embeddings.scalars,
                    atol: 1e-6, "image")
        expectClose(UnsafeBufferPointer(start: ws.textEmbeddings!, count: b * d),
                    try model.text.forward(ids: ids, batch: b, tokens: t).embeddings.scalars, atol: 1e-6, "text")
    }

    // MARK: finite differences of the contrastive loss, in Double

    /// Double re-statement of transformers' loss: (CE(Lᵀ) + CE(L)) / 2, L = e^ls · norm(u)·norm(v)ᵀ.
    static func lossRef(_ u: [Double], _ v: [Double], _ ls: Double, b: Int, d: Int) -> Double {
        func normed(_ x: [Double]) -> [Double] {
            (0..<b).flatMap { r -> [Double] in
                let row = Array(x[r * d..<(r + 1) * d]), n = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return row.map { $0 / n }
            }
        }
        let un = normed(u), vn = normed(v), s = Foundation.exp(ls)
        var l = [[Double]](repeating: [Double](repeating: 0, count: b), count: b)
        for i in 0..<b { for j in 0..<b { l[i][j] = s * (0..<d).reduce(0) { $0 + un[i * d + $1] * vn[j * d + $1] } } }
        func ce(_ m: [[Double]]) -> Double {
            (0..<b).reduce(0) { acc, i in
                let mx = m[i].max()!, lse = mx + Foundation.log(m[i].reduce(0) { $0 + Foundation.exp($1 - mx) })
                return acc + (lse - m[i][i])
            } / Double(b)
        }
        let lt = (0..<b).map { j in (0..<b).map { i in l[i][j] } }
        return (ce(l) + ce(lt)) / 2
    }

    @Test(arguments: [(3, 5), (4, 2), (1, 3)])
    func contrastiveLossBackwardMatchesFiniteDifferences(_ shape: (Int, Int)) {
        let (b, d) = shape
        var rng = SeededRNG(seed: UInt64(10 * b + d))
        let u = (0..<(b * d)).map { _ in rng.normal() }, v = (0..<(b * d)).map { _ in rng.normal() }, ls = 0.7
        var du = [Float](repeating: 0, count: b * d), dv = du
        let uf = u.map { Float($0) }, vf = v.map { Float($0) }
        let r = CLIPContrastiveLoss.compute(image: uf, text: vf, batch: b, dim: d, logitScale: Float(ls), dImage: &du, dText: &dv)
        expectClose([r.loss], [Self.lossRef(u, v, ls, b: b, d: d)], atol: 1e-5, "loss")
        let h = 1e-5
        func numeric(_ x: [Double], _ f: ([Double]) -> Double) -> [Double] {
            (0..<x.count).map { i in var p = x, m = x; p[i] += h; m[i] -= h; return (f(p) - f(m)) / (2 * h) }
        }
        expectClose(du, numeric(u) { Self.lossRef($0, v, ls, b: b, d: d) }, atol: 5e-5, rtol: 1e-4, "∂image")
        expectClose(dv, numeric(v) { Self.lossRef(u, $0, ls, b: b, d: d) }, atol: 5e-5, rtol: 1e-4, "∂text")
        let dls = (Self.lossRef(u, v, ls + h, b: b, d: d) - Self.lossRef(u, v, ls - h, b: b, d: d)) / (2 * h)
        expectClose([r.dLogitScale], [dls], atol: 5e-5, rtol: 1e-4, "∂logit_scale")
    }
}
