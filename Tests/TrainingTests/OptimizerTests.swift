import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// AdamW + transformers' get_linear_schedule_with_warmup + clip_grad_norm_, against PyTorch (gen_training.py).
@Suite struct OptimizerTests {
    /// Five steps reproduce PyTorch's losses within 1e-5 relative (measured ≤ ~1e-7). The schedule has warmup 2
    /// of 6 steps (first update at lr 0: losses 1 and 2 are equal) and weight decay 0.05; two cases clip.
    @Test(arguments: TrainingFixture.cases)
    func fiveStepsMatchPyTorch(_ mapper: MapperType, _ mode: GPT2Mode) throws {
        let ref = try TrainingFixture.reference(), name = TrainingFixture.name(mapper, mode)
        let options = try TrainingFixture.options(mapper, mode)
        let (clip, targets) = try TrainingFixture.batch()
        let trainer = try TrainingFixture.trainer(mapper, mode, options: options)
        var losses: [Float] = [], rates: [Float] = []
        for _ in 0..<5 {
            let r = try trainer.step(inputs: clip, targets: targets)
            losses.append(r.loss); rates.append(r.learningRate)
        }
        #expect(trainer.step == 5)
        let expected = try ref.tensor("\(name).adamw_losses").scalars
        let worst = zip(losses, expected).map { abs(Double($0) - Double($1)) / abs(Double($1)) }.max()!
        expectClose(losses, expected, atol: 0, rtol: 1e-5, "\(name) AdamW losses")
        print("\(name): 5-step losses \(losses), max relative |Δ| \(worst)")
        // lr_lambda(t) for t = 0..<5 with warmup 2 of 6: 0, 0.5, 1, 0.75, 0.5
        expectClose(rates, [0, 0.5, 1, 0.75, 0.5].map { $0 * options.learningRate }, atol: 1e-12, "\(name) learning rates")
    }

    @Test func scheduleMatchesTransformers() {
        let o = TrainerOptions(learningRate: 2e-5, warmupSteps: 3, totalSteps: 7)
        // get_linear_schedule_with_warmup(opt, 3, 7).lr_lambda at 0...8
        let expected = [0, 1.0 / 3, 2.0 / 3, 1, 0.75, 0.5, 0.25, 0, 0]
        expectClose((0...8).map { o.multiplier(step: $0) }, expected, atol: 1e-15, "lr_lambda")
        let noWarmup = TrainerOptions(learningRate: 1, warmupSteps: 0, totalSteps: 4)
        expectClose((0...4).map { noWarmup.multiplier(step: $0) }, [1, 0.75, 0.5, 0.25, 0], atol: 1e-15, "no warmup")
    }

    /// A NaN in the inputs makes the loss NaN: the step is refused with the step named, nothing changes.
    @Test func nonFiniteLossIsRefusedWithoutUpdating() throws {
        let (clip, targets) = try TrainingFixture.batch()
        let trainer = try TrainingFixture.trainer(.mlp, .finetune)
        _ = try trainer.step(inputs: clip, targets: targets)
        var before: [Float] = []
        trainer.visitParameters { _, s, p in before += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        var bad = clip
        bad[flat: 4] = .nan
        do {
            _ = try trainer.step(inputs: bad, targets: targets)
            Issue.record("no error")
        } catch let e as TrainingError {
            #expect(e == .nonFinite(step: 2, what: "loss (nan)"), "\(e)")
            #expect("\(e)".hasPrefix("step 2: non-finite loss"))
        }
        var after: [Float] = []
        trainer.visitParameters { _, s, p in after += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        #expect(before == after)
        #expect(trainer.step == 1)
        // and training carries on normally afterwards, from clean gradients
        let fresh = try TrainingFixture.trainer(.mlp, .finetune)
        let a = try fresh.step(inputs: clip, targets: targets), b = try fresh.step(inputs: clip, targets: targets)
        let c = try trainer.step(inputs: clip, targets: targets)
        _ = a
        #expect(c.loss == b.loss)   // bit-identical to a run that never saw the NaN
    }

    /// A finite loss with an overflowing gradient: a mapper whose first layer ignores its input (W0 = 0) and a
    /// steep second layer, fed inputs near Float.greatestFiniteMagnitude, so ∂W0 = ∂h1ᵀ·x overflows while the
    /// forward pass stays finite. The error names the step and the tensor; nothing is updated.
    @Test func nonFiniteGradientIsRefused() throws {
        let src = try SafeTensorsFile(path: TrainingFixture.folder.appendingPathComponent("mlp/model.safetensors").path)
        var tensors: [String: Tensor] = [:]
        for name in src.names { tensors[name] = try src.tensor(name) }
        tensors["clip_project.model.0.weight"] = Tensor(zeros: tensors["clip_project.model.0.weight"]!.shape)
        var w2 = tensors["clip_project.model.2.weight"]!
        for i in 0..<w2.count { w2[flat: i] *= 100 }
        tensors["clip_project.model.2.weight"] = w2
        let folder = try TrainingFixture.temporaryFolder()
        try SafeTensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
        let trainer = try ClipCapTrainer(config: TrainingFixture.config(.mlp, .frozen), gpt2Folder: TrainingFixture.gpt2Folder,
                                         mapperInit: .checkpoint(folder), options: TrainerOptions(learningRate: 1e-3, warmupSteps: 0, totalSteps: 5))
        let (_, targets) = try TrainingFixture.batch()
        let same = Array(repeating: targets[0], count: 3)
        let huge = Tensor(shape: [3, TrainingFixture.prefixSize], values: Array(repeating: 3e38, count: 3 * TrainingFixture.prefixSize))
        var before: [Float] = []
        trainer.visitParameters { _, s, p in before += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        do {
            _ = try trainer.step(inputs: huge, targets: same)
            Issue.record("no error")
        } catch TrainingError.nonFinite(let step, let what) {
            #expect(step == 1)
            #expect(what == "gradient of clip_project.model.0.weight", "\(what)")
        }
        var after: [Float] = []
        trainer.visitParameters { _, s, p in after += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        #expect(before == after)
        #expect(trainer.step == 0)
    }
}
