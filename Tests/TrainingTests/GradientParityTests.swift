import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// The loss, EVERY trained tensor's gradient and the gradient w.r.t. the CLIP input, against PyTorch's float64
/// reference of the same model (gen_training.py), for both mappers × both GPT-2 modes.
/// Tolerance: 1e-5 absolute (our float32 against the exact float64 values; losses ~4.3, gradients ≤ ~1).
@Suite struct GradientParityTests {
    @Test(arguments: TrainingFixture.cases)
    func lossAndEveryGradientMatchPyTorch(_ mapper: MapperType, _ mode: GPT2Mode) throws {
        let ref = try TrainingFixture.reference(), name = TrainingFixture.name(mapper, mode)
        let (clip, targets) = try TrainingFixture.batch()
        let trainer = try TrainingFixture.trainer(mapper, mode)
        let loss = try trainer.computeGradients(inputs: clip, targets: targets)
        var worst = expectClose([loss], try ref.tensor("\(name).loss").scalars, atol: 1e-5, "\(name) loss")
        worst = max(worst, expectClose(trainer.inputGradient.scalars, try ref.tensor("\(name).clip_grad").scalars, atol: 1e-5,
                                       "\(name) ∂clip"))
        var seen: Set<String> = []
        try trainer.visitGradients { tensorName, shape, p in
            seen.insert(tensorName)
            let expected = try ref.tensor("\(name).grad.\(tensorName)")
            #expect(expected.shape == shape, "\(tensorName) shape")
            let actual = Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *)))
            worst = max(worst, expectClose(actual, expected.scalars, atol: 1e-5, "\(name) ∂\(tensorName)"))
        }
        // every parameter PyTorch trains has a gradient here, and nothing else (frozen: no gpt.* at all)
        let expectedNames = Set(ref.names.filter { $0.hasPrefix("\(name).grad.") }.map { String($0.dropFirst("\(name).grad.".count)) })
        #expect(seen == expectedNames, "\(name): gradient names differ: \(seen.symmetricDifference(expectedNames).sorted())")
        if mode == .frozen { #expect(!seen.contains { $0.hasPrefix("gpt.") }) }
        print("\(name): max |Δ| over loss, ∂clip and \(seen.count) gradients = \(worst)")
    }

    /// computeGradients starts from zero every time (no accumulation across calls).
    @Test func gradientsDoNotAccumulateAcrossCalls() throws {
        let (clip, targets) = try TrainingFixture.batch()
        let trainer = try TrainingFixture.trainer(.transformer, .finetune)
        try trainer.computeGradients(inputs: clip, targets: targets)
        var first: [Float] = []
        trainer.visitGradients { _, s, p in first += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        try trainer.computeGradients(inputs: clip, targets: targets)
        var second: [Float] = []
        trainer.visitGradients { _, s, p in second += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        #expect(first == second)
    }
}
