import Foundation
import Testing
import Tensor
import Models
import Training
import TestSupport

/// The supervised warm start of one CLIP tower against Tests/Fixtures/clip_training/warm_start.safetensors
/// (gen_clip_warm_start.py: the tiny CLIP of gen_clip_training with a torch.nn.Linear head, float64), and the
/// mirror twins of contrastive batches.
@Suite struct CLIPWarmStartTests {
    static func reference() throws -> (SafeTensorsFile, [WarmStartTarget], TrainerOptions) {
        let ref = try SafeTensorsFile(path: CLIPTrainingTests.folder.appendingPathComponent("warm_start.safetensors").path)
        let (_, classes) = try ref.integers("classes")
        let flags = try ref.tensor("flags").scalars
        let targets = classes.enumerated().map { r, c in
            WarmStartTarget(classIndex: c < 0 ? nil : Int(c), flags: flags[(2 * r)..<(2 * r + 2)].map { Float($0) })
        }
        let a = try JSONSerialization.jsonObject(with: Data((ref.metadata["options"] ?? "[]").utf8)) as? [Double] ?? []
        #expect(a.count == 5)
        let options = TrainerOptions(learningRate: Float(a[0]), warmupSteps: Int(a[1]), totalSteps: Int(a[2]),
                                     weightDecay: Float(a[3]), gradientClip: Float(a[4]))
        return (ref, targets, options)
    }

    static func trainer(_ tower: CLIPTower, _ ref: SafeTensorsFile, _ options: TrainerOptions,
                        flagGroups: [Int]? = nil) throws -> CLIPWarmStartTrainer {
        let model = try CLIPModel(folder: CLIPTrainingTests.folder.appendingPathComponent("clip"))
        let trainer = try CLIPWarmStartTrainer(model: model, tower: tower, classes: 3, flags: 2, flagGroups: flagGroups, seed: 0, options: options)
        try trainer.setHead(weight: try ref.tensor(tower.rawValue + ".head.weight"), bias: try ref.tensor(tower.rawValue + ".head.bias"))
        return trainer
    }

    /// For each tower: the loss (CE with one ignored row + BCE) and the gradient of every weight of the tower and
    /// the head within 1e-5 absolute of torch in float64; the other tower and logit_scale are not trained. Grouped:
    /// the two flags as two groups of one (`flagGroups` [1, 1]), each with a BCE mean of its own.
    @Test(arguments: CLIPTower.allCases, [false, true])
    func lossAndEveryGradientMatchTorch(_ tower: CLIPTower, grouped: Bool) throws {
        let (ref, targets, options) = try Self.reference()
        let (_, pixels, ids, b, t, _) = try CLIPTrainingTests.reference()
        let trainer = try Self.trainer(tower, ref, options, flagGroups: grouped ? [1, 1] : nil)
        let loss = tower == .vision ? try trainer.computeGradients(pixels: pixels, targets: targets)
                                    : try trainer.computeGradients(ids: CLIPTrainerTests.rows(ids, b, t), targets: targets)
        let key = tower.rawValue + (grouped ? ".grouped" : "")
        let lossDiff = expectClose([loss], try ref.tensor(key + ".loss").scalars, atol: 1e-5, "loss")
        #expect(trainer.lastClassified.count == 3)
        var worst = 0.0, names: [String] = []
        try trainer.visitGradients { name, shape, p in
            names.append(name)
            #expect(name.hasPrefix("warm_start_head.") || tower.owns(name))
            let expected = try ref.tensor("\(key).grad.\(name)")
            #expect(expected.shape == shape, "\(name): \(shape) vs \(expected.shape)")
            worst = max(worst, expectClose(UnsafeBufferPointer(start: p, count: shape.reduce(1, *)), expected.scalars, atol: 1e-5, "∂\(name)"))
        }
        let prefix = key + ".grad."
        let refNames = Set(ref.names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        #expect(Set(names) == refNames && names.count == refNames.count)
        print("CLIP warm start \(key) parity: loss \(loss) (|Δ| \(lossDiff)), \(names.count) gradients max |Δ| \(worst)")
    }

    /// Three AdamW steps of tower + head within 1e-5 relative of torch; the other tower is left as loaded.
    @Test(arguments: CLIPTower.allCases)
    func adamWStepsMatchTorch(_ tower: CLIPTower) throws {
        let (ref, targets, options) = try Self.reference()
        let (_, pixels, ids, b, t, _) = try CLIPTrainingTests.reference()
        let trainer = try Self.trainer(tower, ref, options)
        let before = try CLIPModel(folder: CLIPTrainingTests.folder.appendingPathComponent("clip"))
        var losses: [Float] = []
        for _ in 0..<3 {
            losses.append(tower == .vision ? try trainer.step(pixels: pixels, targets: targets).loss
                                           : try trainer.step(ids: CLIPTrainerTests.rows(ids, b, t), targets: targets).loss)
        }
        let expected = try ref.tensor(tower.rawValue + ".adamw_losses").scalars
        let worst = expectClose(losses, expected, atol: 0, rtol: 1e-5, "AdamW losses")
        print("CLIP warm start \(tower.rawValue) AdamW: 3-step losses \(losses) vs \(expected), max |Δ| \(worst)")
        var untouched = true, moved = false
        var original: [String: [Float]] = [:]
        var copy = before
        copy.visitParameters { name, shape, p in original[name] = Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *))) }
        var trained = trainer.model
        trained.visitParameters { name, shape, p in
            let same = Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *))) == original[name]
            if tower.owns(name) { moved = moved || !same } else { untouched = untouched && same }
        }
        #expect(untouched && moved)
    }

    /// Bad targets and batches are refused with TrainingError; nothing is updated.
    @Test func badInputsAreRefused() throws {
        let (ref, targets, options) = try Self.reference()
        let (_, pixels, _, _, _, _) = try CLIPTrainingTests.reference()
        let trainer = try Self.trainer(.vision, ref, options)
        #expect(throws: TrainingError.self) { try trainer.step(pixels: pixels, targets: Array(targets.prefix(3))) }
        #expect(throws: TrainingError.self) { try trainer.step(targets: targets) }
        #expect(throws: TrainingError.self) { try trainer.step(pixels: pixels, targets: targets.map { WarmStartTarget(classIndex: 3, flags: $0.flags) }) }
        #expect(throws: TrainingError.self) { try trainer.step(pixels: pixels, targets: targets.map { _ in WarmStartTarget(classIndex: nil, flags: [1]) }) }
        let model = try CLIPModel(folder: CLIPTrainingTests.folder.appendingPathComponent("clip"))
        #expect(throws: TrainingError.self) { try CLIPWarmStartTrainer(model: model, tower: .text, classes: 1, flags: 0, seed: 0, options: options) }
        #expect(throws: TrainingError.self) { try CLIPWarmStartTrainer(model: model, tower: .text, classes: 3, flags: 2, flagGroups: [1], seed: 0, options: options) }
        #expect(throws: TrainingError.self) { try CLIPWarmStartTrainer(model: model, tower: .text, classes: 3, flags: 2, flagGroups: [2, 0], seed: 0, options: options) }
        #expect(trainer.step == 0)
    }

    /// With twins at fraction 1 every batch is image, its mirror, next image, its mirror…, the mirror rows are
    /// the flipped pixels and carry the mirror captions; at fraction 0 batches are as without twins.
    @Test func mirrorTwinBatchesPairEachImageWithItsMirror() throws {
        let options = TrainerOptions(learningRate: 1e-3, warmupSteps: 0, totalSteps: 2)
        let captions = CLIPTrainLoopTests.captions
        let mirrored: [[MirrorTwins.Caption]] = captions.map { image in
            image.map { ids in MirrorTwins.Caption(ids: ids.map { $0 == 39 ? 39 : $0 + 1 }, horizontal: ids.count == 3) }
        }
        let twins = MirrorTwins(fraction: 1, captions: mirrored)
        let trainer = try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options)
        var batches: [[Int]] = []
        try trainer.train(captions: captions, batchSize: 8, seed: 2, pixels: { images in
            batches.append(images)
            return CLIPTrainLoopTests.pixels(images)
        }, twins: twins)
        #expect(batches.count == 2)
        for images in batches {
            #expect(images.count == 8 && Set(images).count == 4)
            for r in stride(from: 0, to: 8, by: 2) { #expect(images[r] == images[r + 1]) }
        }
        // fraction 0: the plain batches
        let plain = try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options)
        var plainBatches: [[Int]] = []
        try plain.train(captions: captions, batchSize: 8, seed: 2, pixels: { plainBatches.append($0); return CLIPTrainLoopTests.pixels($0) },
                        twins: MirrorTwins(fraction: 0, captions: twins.captions))
        #expect(plainBatches.allSatisfy { Set($0).count == 8 })
        #expect(throws: TrainingError.self) {
            try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options).train(
                captions: captions, batchSize: 8, seed: 2, pixels: CLIPTrainLoopTests.pixels,
                twins: MirrorTwins(fraction: 1, captions: Array(twins.captions.prefix(3))))
        }
    }

    /// With shape twins at fraction 1, an image with a twin is followed by it (pixel index count + i, the
    /// twin's caption of the drawn caption); one without is followed by its mirror when mirror twins are on,
    /// else by nothing. Shape twins that do not match the captions are refused.
    @Test func shapeTwinBatchesPairEachImageWithItsShapeTwin() throws {
        let options = TrainerOptions(learningRate: 1e-3, warmupSteps: 0, totalSteps: 2)
        let captions = CLIPTrainLoopTests.captions, n = captions.count
        // every other image has a twin whose captions are its own with every id shifted by 2
        let reshaped: [[[Int]]?] = captions.indices.map { i in i % 2 == 0 ? captions[i].map { $0.map { $0 == 39 ? 39 : $0 + 2 } } : nil }
        let shape = ShapeTwins(fraction: 1, captions: reshaped)
        let mirror = MirrorTwins(fraction: 1, captions: captions.map { $0.map { MirrorTwins.Caption(ids: $0, horizontal: true) } })
        for withMirror in [false, true] {
            let trainer = try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options)
            var batches: [[Int]] = []
            try trainer.train(captions: captions, batchSize: 8, seed: 2, pixels: { images in
                batches.append(images)
                return CLIPTrainLoopTests.pixels(images.map { $0 % n })
            }, twins: withMirror ? mirror : nil, shapeTwins: shape)
            #expect(batches.count == 2)
            for images in batches {
                var r = 0
                while r < images.count {
                    let i = images[r]
                    #expect(i < n)
                    if i % 2 == 0 {
                        #expect(r + 1 >= images.count || images[r + 1] == n + i); r += 2
                    } else if withMirror {
                        #expect(r + 1 >= images.count || images[r + 1] == i); r += 2
                    } else {
                        r += 1
                    }
                }
                #expect(images.count <= 8 && images.contains { $0 >= n })
            }
        }
        #expect(throws: TrainingError.self) {
            try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options).train(
                captions: captions, batchSize: 8, seed: 2, pixels: CLIPTrainLoopTests.pixels,
                shapeTwins: ShapeTwins(fraction: 1, captions: Array(reshaped.prefix(3))))
        }
        #expect(throws: TrainingError.self) {
            try CLIPTrainer(config: CLIPTrainLoopTests.config, seed: 1, options: options).train(
                captions: captions, batchSize: 8, seed: 2, pixels: CLIPTrainLoopTests.pixels,
                shapeTwins: ShapeTwins(fraction: 2, captions: reshaped))
        }
    }

    /// A left–right mirror reverses each pixel row; a top–bottom one the rows; twice is the identity.
    @Test func mirrorFlipsOneImage() {
        var t = Tensor(shape: [2, 1, 2, 3], values: (0..<12).map(Float.init))
        CLIPTrainer.mirror(&t, image: 1, horizontal: true)
        #expect(Array(UnsafeBufferPointer(start: t.data, count: 12)) == [0, 1, 2, 3, 4, 5, 8, 7, 6, 11, 10, 9])
        CLIPTrainer.mirror(&t, image: 0, horizontal: false)
        #expect(Array(UnsafeBufferPointer(start: t.data, count: 6)) == [3, 4, 5, 0, 1, 2])
        CLIPTrainer.mirror(&t, image: 0, horizontal: false)
        CLIPTrainer.mirror(&t, image: 1, horizontal: true)
        #expect(Array(UnsafeBufferPointer(start: t.data, count: 12)) == (0..<12).map(Float.init))
    }
}
