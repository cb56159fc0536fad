import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// End-to-end learning: the fixture GPT-2 fine-tuned with a fresh (seeded) mapper memorizes 8 captions.
@Suite struct OverfitTests {
    @Test func eightCaptionsReachLossBelow005() throws {
        var rng = SeededRNG(seed: 5)
        let d = TrainingFixture.prefixSize, eos = TrainingFixture.eos
        let inputs = Tensor.randomNormal([8, d], std: 1, rng: &rng)
        let targets: [[Int]] = (0..<8).map { i in (0..<(3 + i % 4)).map { _ in Int(rng.next() % UInt64(eos)) } + [eos] }
        let steps = 150
        let trainer = try ClipCapTrainer(config: TrainingFixture.config(.mlp, .finetune), gpt2Folder: TrainingFixture.gpt2Folder,
                                         mapperInit: .seeded(1),
                                         options: TrainerOptions(learningRate: 1e-2, warmupSteps: 10, totalSteps: steps, weightDecay: 0.01,
                                                                 gradientClip: 1))
        var losses: [Float] = []
        for _ in 0..<steps { losses.append(try trainer.step(inputs: inputs, targets: targets).loss) }
        let final = try trainer.computeGradients(inputs: inputs, targets: targets)
        print("overfit: loss \(losses[0]) → \(losses[steps - 1]) (after the last update: \(final))")
        #expect(losses[0] > 3)
        #expect(final < 0.05, "final loss \(final)")
    }

    /// MapperInit.seeded: PyTorch's default init (U(±1/√fan_in) for Linear weights and biases, LayerNorm 1/0,
    /// prefix_const N(0,1)), deterministic per seed.
    @Test func seededInitFollowsTorchDefaults() throws {
        func params(_ seed: UInt64) throws -> [String: [Float]] {
            let t = try ClipCapTrainer(config: TrainingFixture.config(.transformer, .frozen), gpt2Folder: TrainingFixture.gpt2Folder,
                                       mapperInit: .seeded(seed), options: TrainerOptions(learningRate: 1, warmupSteps: 0, totalSteps: 1))
            var out: [String: [Float]] = [:]
            t.visitParameters { n, s, p in out[n] = Array(UnsafeBufferPointer(start: p, count: s.reduce(1, *))) }
            return out
        }
        let a = try params(7), b = try params(7), c = try params(8)
        #expect(a == b)
        #expect(a["clip_project.linear.weight"] != c["clip_project.linear.weight"])
        let w = a["clip_project.linear.weight"]!, bound = 1 / Float(13).squareRoot()
        #expect(w.allSatisfy { abs($0) <= bound } && w.map { abs($0) }.max()! > 0.9 * bound)
        #expect(a["clip_project.linear.bias"]!.allSatisfy { abs($0) <= bound })
        let fc2 = a["clip_project.transformer.layers.1.mlp.fc2.bias"]!, fc2Bound = 1 / Float(48).squareRoot()
        #expect(fc2.allSatisfy { abs($0) <= fc2Bound } && fc2.contains { $0 != 0 })
        #expect(a["clip_project.transformer.layers.0.norm1.weight"]!.allSatisfy { $0 == 1 })
        #expect(a["clip_project.transformer.layers.0.norm2.bias"]!.allSatisfy { $0 == 0 })
        let pc = a["clip_project.prefix_const"]!.map(Double.init)
        let mean = pc.reduce(0, +) / Double(pc.count), std = (pc.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pc.count)).squareRoot()
        // 72 draws of N(0, 1): |mean| < 0.5 and 0.6 < std < 1.4 hold with overwhelming probability
        #expect(abs(mean) < 0.5 && std > 0.6 && std < 1.4, "prefix_const mean \(mean) std \(std)")
    }
}
