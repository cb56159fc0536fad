import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// Checkpoints the trainer writes load through ClipCapModel(folder:) and compute the same function; the optimizer
/// state resumes a run bit for bit; bad checkpoints are one-line errors naming the file and tensor.
@Suite struct CheckpointTests {
    /// Mean CE over the captions computed from ClipCapModel's own forward (prefix, then GPT-2 logits over
    /// [prefix; tokens]), in Double: an independent path to the trainer's loss.
    func loss(of model: ClipCapModel, clip: Tensor, targets: [[Int]]) throws -> Double {
        let prefix = try model.prefix(clip)
        var total = 0.0, count = 0
        for (b, t) in targets.enumerated() {
            let p = prefix.rows(b, 1)
            let ids = t.dropLast().map { Int32($0) }
            let logits = try model.gpt2.logits(prefix: p, ids: Array(ids), batch: 1, tokens: ids.count)
            let v = logits.shape[2], pl = p.shape[1]
            for (j, target) in t.enumerated() {
                let row = Array(logits.scalars[(pl - 1 + j) * v..<(pl + j) * v]).map(Double.init)
                let m = row.max()!
                total += Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) }) + m - row[target]
                count += 1
            }
        }
        return total / Double(count)
    }

    /// Train two steps, save, load with ClipCapModel: the saved tensors are exactly the trained ones, the model
    /// reads the architecture back, and its loss on the batch equals the trainer's (1e-5: two float32 paths).
    @Test(arguments: TrainingFixture.cases)
    func savedCheckpointLoadsAndComputesTheSameLoss(_ mapper: MapperType, _ mode: GPT2Mode) throws {
        let (clip, targets) = try TrainingFixture.batch()
        let trainer = try TrainingFixture.trainer(mapper, mode)
        for _ in 0..<2 { _ = try trainer.step(inputs: clip, targets: targets) }
        let folder = try TrainingFixture.temporaryFolder().appendingPathComponent("ckpt")
        let config = TrainingFixture.config(mapper, mode)
        try trainer.saveCheckpoint(to: folder, config: config)
        try trainer.saveCheckpoint(to: folder, config: config)   // over an existing folder
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.deletingLastPathComponent().path)
        #expect(leftovers == ["ckpt"], "temporary folders left: \(leftovers)")

        let file = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        var names: Set<String> = []
        try trainer.visitParameters { name, shape, p in
            names.insert(name)
            let stored = try file.tensor(name, shape: shape).scalars
            #expect(stored == Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *))), "\(name)")
        }
        if mode == .finetune {
            names.insert("gpt.lm_head.weight")
            let head = try file.tensor("gpt.lm_head.weight").scalars, wte = try file.tensor("gpt.transformer.wte.weight").scalars
            #expect(head == wte)
        }
        #expect(Set(file.names) == names)

        let model = try ClipCapModel(folder: folder)
        #expect(model.config.mapper == mapper && model.config.gpt2Mode == mode && model.config.prefixLength == TrainingFixture.prefixLength)
        let expected = try trainer.computeGradients(inputs: clip, targets: targets)
        let reloaded = try loss(of: model, clip: clip, targets: targets)
        expectClose([reloaded], [expected], atol: 1e-5, "\(mapper)/\(mode) loss through ClipCapModel")
    }

    /// 3 steps, save checkpoint + state, 2 more steps; a new trainer from the checkpoint + state takes the same
    /// 2 steps with bit-identical losses and parameters (finetune: GPT-2 restarts from the checkpoint's weights).
    @Test(arguments: [(MapperType.mlp, GPT2Mode.finetune), (.transformer, .frozen)])
    func resumedRunContinuesBitForBit(_ mapper: MapperType, _ mode: GPT2Mode) throws {
        let (clip, targets) = try TrainingFixture.batch()
        let options = TrainerOptions(learningRate: 3e-3, warmupSteps: 2, totalSteps: 5, weightDecay: 0.1, gradientClip: 1)
        let first = try TrainingFixture.trainer(mapper, mode, options: options)
        for _ in 0..<3 { _ = try first.step(inputs: clip, targets: targets) }
        let dir = try TrainingFixture.temporaryFolder()
        try first.saveCheckpoint(to: dir.appendingPathComponent("ckpt"), config: TrainingFixture.config(mapper, mode))
        try first.saveState(to: dir.appendingPathComponent("state.safetensors"))
        let a = try (0..<2).map { _ in try first.step(inputs: clip, targets: targets) }

        let second = try ClipCapTrainer(config: TrainingFixture.config(mapper, mode), gpt2Folder: TrainingFixture.gpt2Folder,
                                        mapperInit: .checkpoint(dir.appendingPathComponent("ckpt")), options: options)
        try second.loadState(from: dir.appendingPathComponent("state.safetensors"))
        #expect(second.step == 3)
        let b = try (0..<2).map { _ in try second.step(inputs: clip, targets: targets) }
        #expect(a.map(\.loss) == b.map(\.loss))
        #expect(a.map(\.learningRate) == b.map(\.learningRate))
        var p1: [Float] = [], p2: [Float] = []
        first.visitParameters { _, s, p in p1 += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        second.visitParameters { _, s, p in p2 += UnsafeBufferPointer(start: p, count: s.reduce(1, *)) }
        #expect(p1 == p2)
    }

    @Test func stateOfAnotherModeIsRejected() throws {
        let dir = try TrainingFixture.temporaryFolder()
        let url = dir.appendingPathComponent("state.safetensors")
        try TrainingFixture.trainer(.mlp, .finetune).saveState(to: url)
        do {
            try TrainingFixture.trainer(.mlp, .frozen).loadState(from: url)
            Issue.record("no error")
        } catch { #expect("\(error)".contains("state.safetensors") && "\(error)".contains("gpt.transformer."), "\(error)") }
        do {
            try TrainingFixture.trainer(.transformer, .frozen).loadState(from: url)
            Issue.record("no error")
        } catch { #expect("\(error)".contains("missing tensor 'adamw.m.clip_project.linear.weight'"), "\(error)") }
    }

    /// A mis-shaped or missing tensor in the initial checkpoint: one line naming the file and the tensor.
    @Test func badCheckpointNamesFileAndTensor() throws {
        let folder = try TrainingFixture.temporaryFolder()
        let file = folder.appendingPathComponent("model.safetensors")
        // the MLP checkpoint, read as a transformer mapper: its tensors are missing
        try FileManager.default.copyItem(at: TrainingFixture.folder.appendingPathComponent("mlp/model.safetensors"), to: file)
        do { _ = try TrainingFixture.trainer(.transformer, .frozen, options: nil, init: folder); Issue.record("no error") }
        catch { #expect("\(error)" == "\(file.path): missing tensor 'clip_project.linear.weight'", "\(error)") }
        // a prefix length that does not match the stored fc2
        var config = TrainingFixture.config(.mlp, .frozen)
        config.prefixLength = 4
        do {
            _ = try ClipCapTrainer(config: config, gpt2Folder: TrainingFixture.gpt2Folder, mapperInit: .checkpoint(folder),
                                   options: TrainerOptions(learningRate: 1, warmupSteps: 0, totalSteps: 1))
            Issue.record("no error")
        } catch {
            #expect("\(error)".hasPrefix("\(file.path): tensor 'clip_project.model.0.weight' has shape [36, 13], expected [48, 13]"), "\(error)")
        }
        do { _ = try TrainingFixture.trainer(.mlp, .frozen, options: nil, init: folder.appendingPathComponent("nowhere")); Issue.record("no error") }
        catch { #expect("\(error)".contains("nowhere/model.safetensors"), "\(error)") }
    }
}

extension TrainingFixture {
    static func trainer(_ mapper: MapperType, _ mode: GPT2Mode, options: TrainerOptions?, init folder: URL) throws -> ClipCapTrainer {
        try ClipCapTrainer(config: config(mapper, mode), gpt2Folder: gpt2Folder, mapperInit: .checkpoint(folder),
                           options: options ?? TrainerOptions(learningRate: 1e-3, warmupSteps: 0, totalSteps: 10))
    }
}
