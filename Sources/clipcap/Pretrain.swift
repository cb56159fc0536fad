import ArgumentParser
import Data
import Foundation
import Models
import Tokenizers
import Training

/// `clipcap pretrain gpt2|clip`: models trained from scratch by this framework (issue 7). `run()` only calls Training.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain models from scratch on a dataset's captions.",
        subcommands: [PretrainGPT2.self, PretrainCLIP.self])
}

/// `clipcap pretrain gpt2`: a small GPT-2 language model on captions, saved as a Hugging Face folder.
struct PretrainGPT2: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt2",
        abstract: "Train a small GPT-2 language model on a dataset's captions; save it as a Hugging Face GPT-2 folder.",
        discussion: """
        Each caption of --split becomes the row <|endoftext|> + caption tokens + <|endoftext|> (the leading one \
        acts as BOS), cut to --positions + 1 tokens. The loss is the mean next-token cross-entropy over every \
        real target of a batch. Weights start from transformers' GPT-2 initialization (seeded); training uses \
        AdamW with linear warmup over --warmup steps and linear decay to 0 at the last step. Batches are \
        consecutive captions of a seeded shuffle drawn afresh each epoch; the last partial batch is dropped. \
        Give --epochs or --steps (not both; default: 1 epoch).

        Writes OUT/config.json, OUT/model.safetensors (transformers' names; GPT2LMHeadModel.from_pretrained \
        loads it), and copies of the tokenizer's vocab.json and merges.txt, atomically. Progress with the \
        loss and an ETA goes to stderr.

        Exit status: 0 on success, 1 when an input cannot be read, training diverges (NaN/Inf) or the folder \
        cannot be written, 2 on a usage error.
        """)

    @Option(help: "Dataset JSON with captions (a world's dataset.json, Karpathy format).")
    var dataset: String
    @Option(help: "Tokenizer folder with vocab.json and merges.txt (e.g. from `clipcap world bpe`).")
    var tokenizer: String
    @Option(help: "Folder to write the model into.")
    var out: String
    @Option(help: "Split(s) of the dataset to train on, comma-separated.")
    var split: String = "train"
    @Option(help: "Transformer blocks (n_layer).")
    var layers: Int = 2
    @Option(help: "Attention heads (n_head).")
    var heads: Int = 4
    @Option(help: "Embedding width (n_embd); a multiple of --heads.")
    var width: Int = 128
    @Option(help: "Positions (n_positions): the longest row is cut to this many inputs.")
    var positions: Int = 64
    @Option(name: .customLong("batch-size"), help: "Captions per step.")
    var batchSize: Int = 32
    @Option(help: "Passes over the captions.")
    var epochs: Int?
    @Option(help: "Optimizer steps (instead of --epochs).")
    var steps: Int?
    @Option(help: "Peak learning rate.")
    var lr: Float = 1e-3
    @Option(help: "Linear warmup steps.")
    var warmup: Int = 100
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.")
    var weightDecay: Float = 0
    @Option(help: "Clip the global gradient norm to this value.")
    var clip: Float?
    @Option(help: "Seed of the initialization and the shuffles.")
    var seed: UInt64 = 0

    func validate() throws {
        guard layers >= 1, heads >= 1, width >= 1, positions >= 1 else {
            throw ValidationError("--layers, --heads, --width and --positions must be positive")
        }
        guard width % heads == 0 else { throw ValidationError("--width (\(width)) must be a multiple of --heads (\(heads))") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be positive") }
        try validatePretraining(epochs: epochs, steps: steps, lr: lr, warmup: warmup, weightDecay: weightDecay, clip: clip, splits: splits)
    }

    private var splits: [String] { commaList(split) }

    func run() throws {
        let tokenizerURL = URL(fileURLWithPath: tokenizer)
        let tok = try GPT2Tokenizer(directory: tokenizerURL)
        let captions = try Datasets.captions(from: URL(fileURLWithPath: dataset), splits: splits).map(\.caption)
        guard captions.count >= batchSize else {
            throw TrainingError.invalidInput("split \(split) of \(dataset) has \(captions.count) captions, fewer than --batch-size \(batchSize)")
        }
        let rows = captions.map { GPT2LanguageModelTrainer.row(caption: tok.encode($0), eos: tok.eosTokenId, positions: positions) }
        let total = steps ?? (epochs ?? 1) * (rows.count / batchSize)
        let config = try GPT2LanguageModelTrainer.config(tokenizer: tok, layers: layers, heads: heads, width: width, positions: positions)
        let options = TrainerOptions(learningRate: lr, warmupSteps: warmup, totalSteps: total, weightDecay: weightDecay, gradientClip: clip)
        let trainer = try GPT2LanguageModelTrainer(config: config, seed: seed, options: options)
        let progress = ProgressLine("pretrain", total: total, unit: "steps")
        try trainer.train(rows: rows, batchSize: batchSize, seed: seed) { _, loss, _ in
            progress.note = String(format: "loss %.4f", loss)
            progress.advance(by: 1)
        }
        try trainer.save(to: URL(fileURLWithPath: out), tokenizer: tokenizerURL)
        FileHandle.standardError.write(Data("trained \(total) steps on \(rows.count) captions (vocabulary \(config.vocabSize)); wrote \(out)\n".utf8))
    }
}

/// The checks both pretrain commands make on their schedule and optimizer options.
func validatePretraining(epochs: Int?, steps: Int?, lr: Float, warmup: Int, weightDecay: Float, clip: Float?,
                         splits: [String]) throws {
        guard epochs == nil || steps == nil else { throw ValidationError("give --epochs or --steps, not both") }
        if let epochs { guard epochs >= 1 else { throw ValidationError("--epochs must be positive") } }
        if let steps { guard steps >= 1 else { throw ValidationError("--steps must be positive") } }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw ValidationError("--weight-decay must not be negative") }
        if let clip { guard clip.isFinite, clip > 0 else { throw ValidationError("--clip must be positive") } }
        guard !splits.isEmpty else { throw ValidationError("--split names no split") }
}
