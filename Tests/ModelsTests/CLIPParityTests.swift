import Foundation
import Testing
import Tensor
import Models
import TestSupport

/// CLIP against transformers (fixtures from Tests/Fixtures/gen_models.py): every hidden state of both
/// towers, the pooled outputs and the projected embeddings.
///
/// Tolerances. The fixture weights are N(0, 0.2²), so the residual stream reaches |x| ≈ 16, where one
/// float32 ulp is ~1e-6, and torch's own float32 forward differs from the float64 forward of the same
/// model by up to 1.1e-5 (measured). Each hidden state is therefore checked twice:
/// - against the float64 forward (`*_f64`, the exact answer): |ours − f64| ≤ 1e-5 + 1e-6·|f64|;
/// - against torch-float32: ≤ 2e-5 + 1e-6·|ref|, since two float32 approximations of the same exact
///   value can each be 1e-5 away from it.
/// Pooled outputs and projections (values O(1)–O(10)) are checked against torch-float32 at the same bound.
@Suite struct CLIPParityTests {
    static let atol = 2e-5      // vs torch-float32
    static let exactAtol = 1e-5 // vs the float64 forward
    static let rtol = 1e-6

    @Test(arguments: ["tiny-clip", "tiny-clip-gelu"])
    func textTower(_ name: String) throws {
        let model = try CLIPModel(folder: fixturesDirectory.appendingPathComponent(name))
        let ref = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("\(name)-outputs.safetensors").path)
        let (shape, ids) = try ref.integers("input_ids")
        let out = try model.text.forward(ids: ids.map { Int32($0) }, batch: shape[0], tokens: shape[1], collectHiddenStates: true)
        #expect(out.hiddenStates.count == model.config.textConfig.layers + 1)
        for (i, h) in out.hiddenStates.enumerated() {
            expectClose(h.scalars, try ref.tensor("text_hidden_\(i)").scalars, atol: Self.atol, rtol: Self.rtol, "\(name) text hidden \(i)")
            expectClose(h.scalars, try ref.tensor("text_hidden_\(i)_f64").scalars, atol: Self.exactAtol, rtol: Self.rtol, "\(name) text hidden \(i) vs f64")
        }
        expectClose(out.lastHiddenState.scalars, try ref.tensor("text_last_hidden_state").scalars, atol: Self.atol, rtol: Self.rtol, "text last")
        expectClose(out.pooled.scalars, try ref.tensor("text_pooled").scalars, atol: Self.atol, rtol: Self.rtol, "text pooled")
        expectClose(out.embeddings.scalars, try ref.tensor("text_embeds").scalars, atol: Self.atol, rtol: Self.rtol, "text embeds")
    }

    @Test(arguments: ["tiny-clip", "tiny-clip-gelu"])
    func visionTower(_ name: String) throws {
        let model = try CLIPModel(folder: fixturesDirectory.appendingPathComponent(name))
        let ref = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("\(name)-outputs.safetensors").path)
        let out = try model.vision.forward(pixels: try ref.tensor("pixel_values"), collectHiddenStates: true)
        #expect(out.hiddenStates.count == model.config.visionConfig.layers + 1)
        for (i, h) in out.hiddenStates.enumerated() {
            expectClose(h.scalars, try ref.tensor("vision_hidden_\(i)").scalars, atol: Self.atol, rtol: Self.rtol, "\(name) vision hidden \(i)")
            expectClose(h.scalars, try ref.tensor("vision_hidden_\(i)_f64").scalars, atol: Self.exactAtol, rtol: Self.rtol, "\(name) vision hidden \(i) vs f64")
        }
        expectClose(out.lastHiddenState.scalars, try ref.tensor("vision_last_hidden_state").scalars, atol: Self.atol, rtol: Self.rtol, "vision last")
        expectClose(out.pooled.scalars, try ref.tensor("vision_pooled").scalars, atol: Self.atol, rtol: Self.rtol, "vision pooled")
        expectClose(out.embeddings.scalars, try ref.tensor("image_embeds").scalars, atol: Self.atol, rtol: Self.rtol, "image embeds")
    }

    /// `embed` (the pooled-row shortcut in the last layer, batch split across cores) equals the full
    /// forward's embeddings. Only GEMM row counts differ, which changes float32 summation order: observed
    /// ≤ 3.1e-6 at |x| ≈ 1.9 (~13 ulp), bound 5e-6 + 1e-6·|x|. Both are also checked against torch.
    @Test(arguments: ["tiny-clip", "tiny-clip-gelu"])
    func embedShortcutEqualsFullForward(_ name: String) throws {
        let model = try CLIPModel(folder: fixturesDirectory.appendingPathComponent(name))
        let ref = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("\(name)-outputs.safetensors").path)
        let (shape, ids) = try ref.integers("input_ids")
        let i32 = ids.map { Int32($0) }
        let full = try model.text.forward(ids: i32, batch: shape[0], tokens: shape[1]).embeddings
        expectClose(try model.text.embed(ids: i32, batch: shape[0], tokens: shape[1]).scalars, full.scalars, atol: 5e-6, rtol: 1e-6, "text embed")
        expectClose(try model.text.embed(ids: i32, batch: shape[0], tokens: shape[1]).scalars, try ref.tensor("text_embeds").scalars,
                    atol: Self.atol, rtol: Self.rtol, "text embed vs torch")
        let pixels = try ref.tensor("pixel_values")
        let vfull = try model.vision.forward(pixels: pixels).embeddings
        expectClose(try model.vision.embed(pixels: pixels).scalars, vfull.scalars, atol: 5e-6, rtol: 1e-6, "image embed")
        expectClose(try model.vision.embed(pixels: pixels).scalars, try ref.tensor("image_embeds").scalars,
                    atol: Self.atol, rtol: Self.rtol, "image embed vs torch")
    }

    /// Padding after the EOS token changes no embedding (causal mask): the basis of length-sorted batching.
    @Test func paddingDoesNotChangeTextEmbeddings() throws {
        let model = try CLIPModel(folder: fixturesDirectory.appendingPathComponent("tiny-clip"))
        let short: [Int32] = [0, 5, 17, 99], padded: [Int32] = [0, 5, 17, 99, 1, 1, 1]
        let a = try model.text.embed(ids: short, batch: 1, tokens: 4)
        let b = try model.text.embed(ids: padded, batch: 1, tokens: 7)
        expectClose(a.scalars, b.scalars, atol: 1e-6, rtol: 1e-6, "padding invariance")
    }

    @Test func poolingRules() throws {
        let legacy = try CLIPModel(folder: fixturesDirectory.appendingPathComponent("tiny-clip"))
        // eos_token_id == 2: argmax of the ids (first maximum)
        #expect(legacy.text.poolingPositions(ids: [0, 5, 99, 4, 99], batch: 1, tokens: 5) == [2])
        let modern = try CLIPModel(folder: fixturesDirectory.appendingPathComponent("tiny-clip-gelu"))
        // eos_token_id == 97: the first 97, even when larger ids follow
        #expect(modern.text.poolingPositions(ids: [0, 98, 97, 97, 99], batch: 1, tokens: 5) == [2])
    }

    @Test func rejectsBadInputs() throws {
        let model = try CLIPModel(folder: fixturesDirectory.appendingPathComponent("tiny-clip"))
        #expect(throws: ModelError.self) { try model.text.forward(ids: [0, 100], batch: 1, tokens: 2) }
        #expect(throws: ModelError.self) { try model.text.forward(ids: [Int32](repeating: 3, count: 21), batch: 1, tokens: 21) }
        #expect(throws: ModelError.self) { try model.vision.forward(pixels: Tensor(zeros: [1, 3, 16, 16])) }
    }
}
