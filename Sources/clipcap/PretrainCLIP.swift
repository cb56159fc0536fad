import ArgumentParser
import Data
import Experiments
import Foundation
import Imaging
import Models
import Tensor
import Tokenizers
import Training
import World

/// `clipcap pretrain clip`: a small CLIP trained contrastively on a dataset's images and captions, saved as a
/// Hugging Face CLIPModel folder. `run()` only calls library code.
struct PretrainCLIP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Train a small CLIP on a dataset's images and captions; save it as a Hugging Face CLIPModel folder.",
        discussion: """
        Both towers, both projections and the temperature (logit_scale) are trained with transformers' \
        CLIPModel(return_loss=True) loss: the symmetric InfoNCE over a batch of B images and B captions. Each \
        epoch visits the images of --split in a seeded shuffle, B at a time, each with one of its captions drawn \
        at random (seeded); the last partial batch is dropped. Weights start from transformers' CLIP \
        initialization (seeded); training uses AdamW with linear warmup over --warmup steps and linear decay to \
        0 at the last step. Give --epochs or --steps (not both; default: 1 epoch). Captions are tokenized with \
        the CLIP tokenizer of --tokenizer (vocab.json + merges.txt with <|startoftext|> and <|endoftext|>) and \
        cut to --context tokens; images are resized and center-cropped to --image-size with CLIP's mean and std.

        Writes OUT/config.json, OUT/model.safetensors (transformers' names; CLIPModel.from_pretrained loads it), \
        OUT/preprocessor_config.json and copies of the tokenizer's vocab.json and merges.txt, atomically, so OUT \
        serves as --clip for `clipcap embed`. Progress with the loss goes to stderr.

        Every --save-every steps OUT is replaced, atomically, by a checkpoint: the model so far plus \
        trainer_state.safetensors (AdamW moments, step) and pretrain.json (the options). --resume continues \
        it and ends with the same bytes as a run that never stopped; --stop-after N stops at step N with a \
        checkpoint. The finished folder holds the model alone.

        Relations. Random batches of scenes are told apart by their shapes and colours, so plain InfoNCE never \
        asks either tower how objects are arranged, and neither starts to encode it without the other. Two \
        options break that, and the shipped world CLIP uses both (measured in the README, "What it took"): \
        --warm-start-steps N first trains each tower on its own, N steps, to predict the world's ground truth \
        from --attributes (the relation of the related pair, read in a fixed object order; which shapes and \
        colours appear) through a linear head that is then dropped; --mirror-twins F makes a fraction F of the \
        contrastive batches pair each image with its mirror image, captioned with left/right (or \
        above/below, top/bottom) swapped. The warm-started model is saved as a checkpoint (unless \
        --save-every is 0) before the first contrastive step, so --resume never repeats the warm start; an \
        interruption during it starts it over.

        Binding. Neither option asks which shape stands where: random scenes, and mirror twins, keep their sets of \
        shapes and colours. --shape-twins F (needs --attributes) makes a fraction F of the contrastive batches pair \
        each image with its shape twin, rendered from the attributes: the scene with the shapes of two objects \
        swapped (or, a third of the time and whenever fewer than two objects have a shape of their own, one \
        object's shape replaced by one the scene lacks), captioned with the shape words changed \
        to match. Images without one get their mirror twin on --mirror-twins steps. The shipped world CLIP \
        uses --shape-twins 0.5: two-object scenes are described right far more often (README, "What it took"). \
        --binding-flags (with --warm-start-steps) adds to the warm start's head one flag per (shape, colour) pair, \
        on when the scene holds an object of that shape in that colour: the presence flags say which shapes and \
        which colours appear, these say which colour each shape has. They are a flag group of their own, whose \
        BCE is averaged apart from the presence flags', so the 48 of them do not dilute the 14. The shipped world \
        CLIP uses them: three-object scenes are described right far more often (README, "What it took", item 5).

        Temperature. --logit-scale S fixes the inverse temperature at S (no gradient, no weight decay; the \
        config's logit_scale_init_value becomes ln S) instead of learning it. The temperature sets the modality \
        gap (Liang et al. 2022): the shipped world CLIP learned e^2.905 ≈ 18.3 and has a centroid gap of 0.053; \
        the same recipe with --logit-scale 100 has a gap of 0.573 and retrieves as well, but text-trained \
        captioners then fail on images (README, "What the main job measures").

        Paraphrases. With all of an image's captions drawn in turn, InfoNCE also teaches the text tower to give \
        paraphrases nearly one embedding, which the CLIPs that Unsupervised-ClipCap studies were never asked \
        for: each image had one alt-text. --captions-per-image 1 trains on each image's first caption alone, \
        as they did. On the world it keeps a little more of the wording, and the paraphrase run's lead over the \
        same-caption ablation grows to about 3 points of attribute accuracy, significant on every seed. Without \
        --binding-flags it costs every captioner 4 to 7 points; with them, about 2 for supervised ClipCap, so the \
        shipped world CLIP uses both (README, "Why the margin needs a CLIP that saw one caption per image").

        Exit status: 0 on success, 1 when an input cannot be read, training diverges (NaN/Inf) or the folder \
        cannot be written, 2 on a usage error.
        """)

    @Option(help: "Dataset JSON with images and captions (a world's dataset.json, Karpathy format).")
    var dataset: String
    @Option(help: "Folder the dataset's image paths are relative to.")
    var images: String
    @Option(help: "CLIP tokenizer folder with vocab.json and merges.txt.")
    var tokenizer: String
    @Option(help: "Folder to write the model into.")
    var out: String
    @Option(help: "Split(s) of the dataset to train on, comma-separated.")
    var split: String = "train"
    @Option(name: .customLong("text-layers"), help: "Text encoder layers.")
    var textLayers: Int = 2
    @Option(name: .customLong("text-heads"), help: "Text attention heads.")
    var textHeads: Int = 4
    @Option(name: .customLong("text-width"), help: "Text width; a multiple of --text-heads (MLP: 4× the width).")
    var textWidth: Int = 64
    @Option(name: .customLong("vision-layers"), help: "Vision encoder layers.")
    var visionLayers: Int = 2
    @Option(name: .customLong("vision-heads"), help: "Vision attention heads.")
    var visionHeads: Int = 4
    @Option(name: .customLong("vision-width"), help: "Vision width; a multiple of --vision-heads (MLP: 4× the width).")
    var visionWidth: Int = 64
    @Option(name: .customLong("image-size"), help: "Input image side, in pixels.")
    var imageSize: Int = 32
    @Option(name: .customLong("patch-size"), help: "Patch side; divides --image-size.")
    var patchSize: Int = 8
    @Option(name: .customLong("projection-dim"), help: "Width of the shared embedding space.")
    var projectionDim: Int = 32
    @Option(help: "Text positions (max_position_embeddings): captions are cut to this many tokens.")
    var context: Int = 32
    @Option(name: .customLong("batch-size"), help: "Image–caption pairs per step (≥ 2).")
    var batchSize: Int = 32
    @Option(help: "Passes over the images.")
    var epochs: Int?
    @Option(help: "Optimizer steps (instead of --epochs).")
    var steps: Int?
    @Option(help: "Peak learning rate.")
    var lr: Float = 5e-4
    @Option(help: "Linear warmup steps.")
    var warmup: Int = 100
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.")
    var weightDecay: Float = 0.1
    @Option(help: "Clip the global gradient norm to this value.")
    var clip: Float?
    @Option(help: "Seed of the initialization, the shuffles and the caption draws.")
    var seed: UInt64 = 0
    @Option(help: "A world's attributes.json (ground truth) for --warm-start-steps.")
    var attributes: String?
    @Option(name: .customLong("warm-start-steps"), help: "Supervised warm-start steps for each tower before InfoNCE (needs --attributes; 0: none).")
    var warmStartSteps: Int = 0
    @Option(name: .customLong("logit-scale"), help: "Fix the contrastive inverse temperature at this value (CLIP's cap: 100) instead of learning it from logit_scale_init_value (e^2.6592 ≈ 14.3).")
    var fixedLogitScale: Double?
    @Flag(name: .customLong("binding-flags"), help: "The warm start also predicts which (shape, colour) pairs appear, as a flag group of its own.")
    var bindingFlags = false
    @Option(name: .customLong("mirror-twins"), help: "Fraction of contrastive steps whose batches pair images with their mirror twins (0 to 1).")
    var mirrorTwins: Double = 0
    @Option(name: .customLong("shape-twins"), help: "Fraction of contrastive steps whose batches pair images with their shape twins (0 to 1; needs --attributes).")
    var shapeTwins: Double?
    @Option(name: .customLong("captions-per-image"), help: "Train on only the first N captions of each image (default: all).")
    var captionsPerImage: Int?
    @OptionGroup var checkpointing: PretrainCheckpointOptions

    func validate() throws {
        for (flag, v) in [("--text-layers", textLayers), ("--text-heads", textHeads), ("--text-width", textWidth),
                          ("--vision-layers", visionLayers), ("--vision-heads", visionHeads), ("--vision-width", visionWidth),
                          ("--image-size", imageSize), ("--patch-size", patchSize), ("--projection-dim", projectionDim)] where v < 1 {
            throw ValidationError("\(flag) must be positive")
        }
        guard textWidth % textHeads == 0 else { throw ValidationError("--text-width (\(textWidth)) must be a multiple of --text-heads (\(textHeads))") }
        guard visionWidth % visionHeads == 0 else {
            throw ValidationError("--vision-width (\(visionWidth)) must be a multiple of --vision-heads (\(visionHeads))")
        }
        guard imageSize % patchSize == 0 else { throw ValidationError("--patch-size (\(patchSize)) must divide --image-size (\(imageSize))") }
        guard context >= 2 else { throw ValidationError("--context must be at least 2 (start and end tokens)") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2") }
        guard warmStartSteps >= 0 else { throw ValidationError("--warm-start-steps must be 0 or more") }
        guard warmStartSteps == 0 || attributes != nil else { throw ValidationError("--warm-start-steps needs --attributes (a world's attributes.json)") }
        if let fixedLogitScale { guard fixedLogitScale >= 1, fixedLogitScale <= 1000 else { throw ValidationError("--logit-scale must be in 1...1000") } }
        guard !bindingFlags || warmStartSteps > 0 else { throw ValidationError("--binding-flags needs --warm-start-steps") }
        guard (captionsPerImage ?? 1) >= 1 else { throw ValidationError("--captions-per-image must be at least 1") }
        guard (0...1).contains(mirrorTwins) else { throw ValidationError("--mirror-twins must be between 0 and 1") }
        guard (0...1).contains(shapeTwins ?? 0) else { throw ValidationError("--shape-twins must be between 0 and 1") }
        guard shapeTwins == nil || attributes != nil else { throw ValidationError("--shape-twins needs --attributes (a world's attributes.json)") }
        try validatePretraining(epochs: epochs, steps: steps, lr: lr, warmup: warmup, weightDecay: weightDecay, clip: clip, splits: splits)
    }

    private var splits: [String] { commaList(split) }

    func run() throws {
        let tokenizerURL = URL(fileURLWithPath: tokenizer), datasetURL = URL(fileURLWithPath: dataset)
        let tok = try CLIPTokenizer(directory: tokenizerURL)
        // images in dataset order, each with its captions' ids
        let records = try Datasets.images(from: datasetURL, imagesRoot: URL(fileURLWithPath: images), splits: splits)
        var byImage: [ItemID: [String]] = [:]
        for c in try Datasets.captions(from: datasetURL, splits: splits) { byImage[c.imageId, default: []].append(c.caption) }
        let paired = records.filter { byImage[$0.imageId] != nil }
        let texts = paired.map { Array(byImage[$0.imageId]!.prefix(captionsPerImage ?? .max)) }
        let captions = texts.map { $0.map { tok.encode($0, contextLength: context) } }
        let twins = mirrorTwins > 0 ? MirrorTwins(fraction: mirrorTwins, captions: texts.map { $0.map { text in
            let (mirrored, horizontal) = WorldVocabulary.mirrored(text)
            return MirrorTwins.Caption(ids: tok.encode(mirrored, contextLength: context), horizontal: horizontal)
        } }) : nil
        guard paired.count >= batchSize else {
            throw TrainingError.invalidInput("split \(split) of \(dataset) has \(paired.count) captioned images, fewer than --batch-size \(batchSize)")
        }
        // each image's shape twin (scene and captions), drawn from (seed, image)
        var twinScenes: [Scene?] = [], shapeTwinIds: ShapeTwins? = nil, rasterizer: Rasterizer? = nil
        if let shapeTwins, let attributes {
            let world = try WorldAttributes.read(URL(fileURLWithPath: attributes))
            let labels = try Self.truth(world, for: paired, attributes: attributes, dataset: dataset)
            let drawn = labels.enumerated().map { i, image -> ShapeTwin? in
                var rng = SeededRNG(seed: seed ^ 0x5348_5457 ^ (UInt64(i) &* 0x9E37_79B9_7F4A_7C15))
                return ShapeTwin.draw(image.scene, &rng)
            }
            twinScenes = drawn.map { $0?.scene }
            shapeTwinIds = ShapeTwins(fraction: shapeTwins, captions: zip(drawn, texts).map { twin, texts in
                twin.map { t in texts.map { tok.encode(t.caption($0), contextLength: context) } }
            })
            rasterizer = Rasterizer(config: world.config)
        }
        let total = steps ?? (epochs ?? 1) * (paired.count / batchSize)
        let config = CLIPConfig(
            textConfig: CLIPTextConfig(hiddenSize: textWidth, intermediateSize: 4 * textWidth, attentionHeads: textHeads, layers: textLayers,
                                       maxPositions: context, vocabSize: tok.vocabularySize, eosTokenId: tok.endTokenId,
                                       bosTokenId: tok.startTokenId, padTokenId: tok.padTokenId),
            visionConfig: CLIPVisionConfig(hiddenSize: visionWidth, intermediateSize: 4 * visionWidth, attentionHeads: visionHeads,
                                           layers: visionLayers, imageSize: imageSize, patchSize: patchSize),
            projectionDim: projectionDim, logitScaleInitValue: fixedLogitScale.map { Float(Foundation.log($0)) } ?? 2.6592)
        var processorConfig = CLIPImageProcessorConfig()
        processorConfig.size = .shortestEdge(imageSize)
        processorConfig.cropHeight = imageSize
        processorConfig.cropWidth = imageSize
        let processor = try CLIPImageProcessor(config: processorConfig)
        let options = TrainerOptions(learningRate: lr, warmupSteps: warmup, totalSteps: total, weightDecay: weightDecay, gradientClip: clip)
        let outURL = URL(fileURLWithPath: out)
        let checkpoints = PretrainCheckpoints(out: outURL, every: checkpointing.saveEvery, options: PretrainCheckpoints.options(
            dataset: dataset, tokenizer: tokenizer, split: split, batchSize: batchSize, steps: total, lr: lr, warmup: warmup,
            weightDecay: weightDecay, clip: clip, seed: seed,
            model: ["images": PretrainCheckpoints.path(images), "text-layers": "\(textLayers)", "text-heads": "\(textHeads)",
                    "text-width": "\(textWidth)", "vision-layers": "\(visionLayers)", "vision-heads": "\(visionHeads)",
                    "vision-width": "\(visionWidth)", "image-size": "\(imageSize)", "patch-size": "\(patchSize)",
                    "projection-dim": "\(projectionDim)", "context": "\(context)",
                    "attributes": attributes.map(PretrainCheckpoints.path) ?? "", "warm-start-steps": "\(warmStartSteps)",
                    "mirror-twins": "\(mirrorTwins)"]
                // recorded only when given, so runs checkpointed before the option existed still resume
                .merging(captionsPerImage.map { ["captions-per-image": "\($0)"] } ?? [:]) { own, _ in own }
                .merging(shapeTwins.map { ["shape-twins": "\($0)"] } ?? [:]) { own, _ in own }
                .merging(bindingFlags ? ["binding-flags": "true"] : [:]) { own, _ in own }
                .merging(fixedLogitScale.map { ["logit-scale": "\($0)"] } ?? [:]) { own, _ in own }))
        var warmed = false
        let trainer = try checkpoints.trainer(resume: checkpointing.resume, total: total,
                                              restore: { try CLIPTrainer(model: try CLIPModel(folder: outURL), options: options) },
                                              fresh: {
            guard warmStartSteps > 0, let attributes else { return try CLIPTrainer(config: config, seed: seed, options: options) }
            let model = try warmStart(try CLIPTrainer.initialModel(config: config, seed: seed), attributes: URL(fileURLWithPath: attributes),
                                      images: paired, captions: captions, processor: processor)
            warmed = true
            return try CLIPTrainer(model: model, options: options)
        })
        trainer.freezesLogitScale = fixedLogitScale != nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let extraFiles = ["preprocessor_config.json": try encoder.encode(processorConfig)]
        let stop = min(total, checkpointing.stopAfter ?? total)
        try checkpoints.saveBeforeTraining(step: trainer.step, stop: stop, total: total, costly: warmed,
                                           model: { try trainer.save(to: $0, tokenizer: tokenizerURL, extraFiles: extraFiles) },
                                           state: { try trainer.saveState(to: $0) })
        try trainer.train(captions: captions, batchSize: batchSize, seed: seed, pixels: { indices in
            guard let rasterizer else { return try CLIPEmbedder.pixels(indices.map { paired[$0].path }, processor: processor, size: imageSize) }
            // a shape twin (index ≥ paired.count) is rendered at the world's size, as its image was
            return try CLIPEmbedder.pixels(count: indices.count, processor: processor, size: imageSize) { [paired, twinScenes] k in
                let i = indices[k]
                guard i >= paired.count else { return try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paired[i].path), alpha: processor.alpha) }
                let worldSide = rasterizer.config.imageSize
                return RGBImage(width: worldSide, height: worldSide, pixels: rasterizer.render(twinScenes[i - paired.count]!))
            }
        }, twins: twins, shapeTwins: shapeTwinIds, stopAt: stop, progress: checkpoints.onStep(total: total, from: trainer.step, stop: stop,
                                                     model: { try trainer.save(to: $0, tokenizer: tokenizerURL, extraFiles: extraFiles) },
                                                     state: { try trainer.saveState(to: $0) }))
        guard checkpoints.finished(at: trainer.step, of: total) else { return }
        try trainer.save(to: outURL, tokenizer: tokenizerURL, extraFiles: extraFiles)
        FileHandle.standardError.write(Data("trained \(total) steps on \(paired.count) images (\(captions.joined().count) captions); wrote \(out)\n".utf8))
    }

    /// The supervised warm start: the vision tower, then the text tower, each `warmStartSteps` steps on its
    /// own head (dropped after), with the contrastive run's batch size, learning rate, warmup, decay and seed.
    private func warmStart(_ model: CLIPModel, attributes: URL, images: [ImageRecord], captions: [[[Int]]],
                           processor: CLIPImageProcessor) throws -> CLIPModel {
        let labels = try Self.truth(try WorldAttributes.read(attributes), for: images, attributes: attributes.path, dataset: dataset)
        var model = model
        for tower in [CLIPTower.vision, .text] {
            let options = TrainerOptions(learningRate: lr, warmupSteps: min(warmup, warmStartSteps), totalSteps: warmStartSteps,
                                         weightDecay: weightDecay, gradientClip: clip)
            let groups = [WorldAttributes.Image.warmStartFlags] + (bindingFlags ? [WorldAttributes.Image.bindingFlags] : [])
            let trainer = try CLIPWarmStartTrainer(model: model, tower: tower, classes: WorldAttributes.Image.warmStartClasses,
                                                   flags: groups.reduce(0, +), flagGroups: groups, seed: seed, options: options)
            let progress = ProgressLine("warm start \(tower.rawValue)", total: warmStartSteps, unit: "steps", from: 0)
            var seen = 0, right = 0
            try trainer.train(count: images.count, batchSize: batchSize, seed: seed, batch: { indices, epoch in
                let targets = indices.map { i -> WarmStartTarget in
                    let (relation, flags) = labels[i].warmStartLabels(image: tower == .vision)
                    return WarmStartTarget(classIndex: relation, flags: flags + (bindingFlags ? labels[i].bindingLabels : []))
                }
                if tower == .vision {
                    return (try CLIPEmbedder.pixels(indices.map { images[$0].path }, processor: processor, size: imageSize), [], targets)
                }
                let ids = indices.map { captions[$0][CLIPTrainer.captionDraw(seed: seed ^ 0x5445_5854, epoch: epoch, image: $0, of: captions[$0].count)] }
                return (nil, ids, targets)
            }, progress: { _, loss, _ in
                seen += trainer.lastClassified.count; right += trainer.lastClassified.correct
                progress.note = String(format: "loss %.4f, relation right %.3f", loss, Double(right) / Double(max(seen, 1)))
                progress.advance(by: 1)
                if progress.done % 100 == 0 { seen = 0; right = 0 }
            })
            model = trainer.model
        }
        return model
    }

    /// The ground truth of each of `images`, by image id; an image without one is an input error.
    private static func truth(_ world: WorldAttributes, for images: [ImageRecord], attributes: String, dataset: String) throws -> [WorldAttributes.Image] {
        var truth: [Int: WorldAttributes.Image] = [:]
        for image in world.images { truth[image.imgid] = image }
        return try images.map { record in
            guard case .int(let id) = record.imageId, let image = truth[id] else {
                throw TrainingError.invalidInput("\(attributes) has no ground truth for image \(record.imageId) of \(dataset)")
            }
            return image
        }
    }
}
