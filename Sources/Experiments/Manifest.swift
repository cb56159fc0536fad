import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Training
import Yams

/// A run's manifest (DESIGN.md §9): YAML whose every key but `name` is optional, with the defaults below
/// (the official ClipCap's where sound). Load one with `Manifest.load(file:overrides:)`, which reports an
/// unknown key, a wrong type, a missing `name`, a bad choice or an out-of-range value as one line naming the
/// key path and its line. An empty value (`key:` or `key: null`) means the default.
///
/// Paths in a manifest are used as written: relative ones resolve against the current directory (where
/// `clipcap run` is started, normally the repository root), not against the manifest's folder.
public struct Manifest: Codable, Equatable, Sendable {
    /// Required. The run folder is `runs/<name>`, so it must be a folder name: not empty, no `/`, not `.`/`..`.
    public var name: String
    /// Default 0. Seeds every random choice of the run (initialization, shuffling, noise, sampling).
    public var seed: UInt64 = 0
    public var data = DataSettings()
    public var embeddings = EmbeddingSettings()
    public var model = ModelSettings()
    public var train = TrainSettings()
    public var decode = DecodeSettings()
    public var evaluate = EvaluateSettings()
    public var gap = GapSettings()

    /// A manifest with every default; only the name is given.
    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed, data, embeddings, model, train, decode, evaluate, gap
    }

    /// `data`: where captions and images come from.
    public struct DataSettings: Codable, Equatable, Sendable {
        /// Default `data/coco/dataset_coco.json`. Karpathy JSON, COCO captions JSON, Flickr token file, CSV or
        /// JSONL (what `Datasets.captions` reads): training captions and evaluation references.
        public var dataset = "data/coco/dataset_coco.json"
        /// Default `data/coco/images`. The folder a dataset's image paths are relative to.
        public var images = "data/coco/images"
        /// Default `[train, restval]`. The Karpathy splits trained on (a single name is accepted too).
        public var trainSplit = ["train", "restval"]
        /// Default `test`. The split decoded and evaluated.
        public var evalSplit = "test"
        /// Default null. A world's `attributes.json` (`clipcap world generate`): when set, the evaluate stage
        /// and the mixup sweep add attribute accuracy (attribute, shape, colour, relation) beside the COCO metrics.
        public var attributes: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case dataset, images, trainSplit = "train_split", evalSplit = "eval_split", attributes
        }
    }

    /// `embeddings`: precomputed stores; a stage that finds one skips computing it.
    public struct EmbeddingSettings: Codable, Equatable, Sendable {
        /// Default null (computed into the run folder). A text store for modality text, an image store for
        /// modality image.
        public var train: String?
        /// Default null. Image store of the evaluation split.
        public var evalImage: String?
        /// Default null. Text store of the evaluation split.
        public var evalText: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case train, evalImage = "eval_image", evalText = "eval_text"
        }
    }

    /// `model`: the checkpoints and the mapper's shape.
    public struct ModelSettings: Codable, Equatable, Sendable {
        /// Default `models/clip-vit-base-patch32`. An HF CLIP folder.
        public var clip = "models/clip-vit-base-patch32"
        /// Default `models/gpt2`. An HF GPT-2 folder.
        public var gpt2 = "models/gpt2"
        /// Default `transformer`. `mlp` | `transformer`.
        public var mapper = MapperType.transformer
        /// Default 10. Prefix tokens fed to GPT-2 (≥ 1).
        public var prefixLength = 10
        /// Default 10. The transformer mapper's CLIP tokens (≥ 1; ignored by `mlp`).
        public var clipLength = 10
        /// Default 8. The transformer mapper's layers (≥ 1; ignored by `mlp`).
        public var numLayers = 8
        /// Default `frozen`. `frozen` | `finetune`.
        public var gpt2Mode = GPT2Mode.frozen
        /// Default null. A ClipCap checkpoint folder to start from (key `init`).
        public var initCheckpoint: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case clip, gpt2, mapper, prefixLength = "prefix_length", clipLength = "clip_length"
            case numLayers = "num_layers", gpt2Mode = "gpt2_mode", initCheckpoint = "init"
        }
    }

    /// `train`: what the mapper learns from, and the optimizer (DESIGN.md §5).
    public struct TrainSettings: Codable, Equatable, Sendable {
        /// Default `text`. `text` | `image`.
        public var modality = TrainingModality.text
        /// Default `paraphrase`. `paraphrase` | `same` (text only).
        public var pairing = CaptionPairing.paraphrase
        /// Default true. L2-normalize the CLIP embedding before the mapper.
        public var normalizePrefix = true
        /// Default 0.0 (CapDec uses 0.016). σ² of the noise added to normalized inputs (≥ 0).
        public var noiseVariance = 0.0
        /// Default 40 (≥ 1).
        public var batchSize = 40
        /// Default 10 (≥ 1).
        public var epochs = 10
        /// Default null. When set (≥ 1), stop after this many optimizer steps, whatever `epochs` says.
        public var maxSteps: Int?
        /// Default 2.0e-5 (> 0). Peak learning rate of AdamW.
        public var lr = 2.0e-5
        /// Default 5000 (≥ 0). Linear warmup steps, then linear decay to 0 at the last step.
        public var warmupSteps = 5000
        /// Default 0.0 (≥ 0). AdamW's decoupled weight decay.
        public var weightDecay = 0.0
        /// Default 40 (≥ 1). Caption tokens before EOS; longer captions are truncated (and counted).
        public var maxCaptionTokens = 40
        /// Default true. Shuffle the samples each epoch (seeded).
        public var shuffle = true
        /// Default 1000 (≥ 1). Save a resumable checkpoint every this many steps.
        public var saveEvery = 1000

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case modality, pairing, normalizePrefix = "normalize_prefix", noiseVariance = "noise_variance"
            case batchSize = "batch_size", epochs, maxSteps = "max_steps", lr, warmupSteps = "warmup_steps"
            case weightDecay = "weight_decay", maxCaptionTokens = "max_caption_tokens", shuffle, saveEvery = "save_every"
        }
    }

    /// How `decode.strategy` picks tokens.
    public enum DecodeStrategyName: String, Codable, CaseIterable, Sendable { case greedy, beam, sample }

    /// `decode`: how captions are generated.
    public struct DecodeSettings: Codable, Equatable, Sendable {
        /// Default `beam`. `greedy` | `beam` | `sample`.
        public var strategy = DecodeStrategyName.beam
        /// Default 5 (≥ 1). Beams for `beam`.
        public var beamSize = 5
        /// Default 67 (≥ 1; the official `entry_length`). Most tokens generated, the stop token included.
        public var maxLength = DecodingOptions.defaultMaxLength
        /// Default `eos`. `eos` | `period` (for official checkpoints).
        public var stop = StopRule.eos
        /// Default "". Words every caption starts with.
        public var start = ""
        /// Default null, written `none`. Move image embeddings toward the text cloud before decoding:
        /// `none` | `mean` | `rotation` | `ot` | `memory` | `sinkhorn`.
        public var align: AlignmentMethod?
        /// Default 1.0 (≥ 0). Softmax temperature for `sample`; 0 is greedy.
        public var temperature = 1.0
        /// Default 1.0 (in (0, 1]). Nucleus mass for `sample`; 1 keeps every token.
        public var topP = 1.0

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case strategy, beamSize = "beam_size", maxLength = "max_length", stop, start, align, temperature
            case topP = "top_p"
        }
    }

    /// `evaluate`: which metrics metrics.csv gets.
    public struct EvaluateSettings: Codable, Equatable, Sendable {
        /// Default `[BLEU, METEOR, ROUGE_L, CIDEr]`. Any of BLEU, METEOR, ROUGE_L, CIDEr, SPICE (names as
        /// `clipcap evaluate --metrics` takes them, case-insensitive).
        public var metrics: [CaptionMetric] = [.bleu, .meteor, .rougeL, .cider]

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable { case metrics }
    }

    /// `gap.mixup`: the λ sweep z(λ) = λ·t + (1−λ)·v.
    public struct MixupSettings: Codable, Equatable, Sendable {
        /// Default 0.0, 0.1, …, 1.0. Each in [0, 1].
        public var lambdas: [Double] = (0...10).map { Double($0) / 10 }
        /// Default `first`. `first` | `random` | `mean`.
        public var textChoice = MixupTextChoice.first
        /// Default none. Other ClipCap checkpoints swept beside this run's model, each `NAME=PATH` (for
        /// example the image-trained run's `runs/NAME/checkpoints/latest`), so models trained on text and on
        /// images share one table (the paper's Figure 3).
        public var models: [String] = []

        public init() {}

        /// `models` as (name, path) pairs.
        public var namedModels: [(name: String, path: String)] { models.map(MixupSweep.namedModel) }

        enum CodingKeys: String, CodingKey, CaseIterable { case lambdas, textChoice = "text_choice", models }
    }

    /// `gap`: modality-gap analysis (DESIGN.md §6).
    public struct GapSettings: Codable, Equatable, Sendable {
        /// Default true. Write gap statistics.
        public var stats = true
        /// Default `[mean, rotation, ot]`. Alignments to run and report; also `memory`, `sinkhorn`.
        public var align: [AlignmentMethod] = [.mean, .rotation, .ot]
        public var mixup = MixupSettings()

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable { case stats, align, mixup }
    }
}

// MARK: - What other stages take from a manifest

extension Manifest {
    /// The data options of `train` with the manifest's seed.
    public var trainingDataOptions: TrainingDataOptions {
        TrainingDataOptions(pairing: train.pairing, normalizePrefix: train.normalizePrefix,
                            noiseVariance: train.noiseVariance, batchSize: train.batchSize, epochs: train.epochs,
                            maxSteps: train.maxSteps, maxCaptionTokens: train.maxCaptionTokens,
                            shuffle: train.shuffle, seed: seed)
    }

    /// `decode.strategy` as the decoder's strategy; sampling draws from the manifest's seed.
    public var decodingStrategy: DecodingStrategy {
        switch decode.strategy {
        case .greedy: return .greedy
        case .beam: return .beam(width: decode.beamSize)
        case .sample: return .sample(temperature: Float(decode.temperature), topP: Float(decode.topP), seed: seed)
        }
    }
}
