import ArgumentParser
import Data
import Foundation
import Models
import Tensor
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

        Every --save-every steps OUT is replaced, atomically, by a checkpoint: the model so far plus \
        trainer_state.safetensors (AdamW moments, step) and pretrain.json (the options). --resume continues \
        it and ends with the same bytes as a run that never stopped; --stop-after N stops at step N with a \
        checkpoint. The finished folder holds the model alone.

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
    @OptionGroup var checkpointing: PretrainCheckpointOptions

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
        let outURL = URL(fileURLWithPath: out)
        let checkpoints = PretrainCheckpoints(out: outURL, every: checkpointing.saveEvery, options: PretrainCheckpoints.options(
            dataset: dataset, tokenizer: tokenizer, split: split, batchSize: batchSize, steps: total, lr: lr, warmup: warmup,
            weightDecay: weightDecay, clip: clip, seed: seed,
            model: ["layers": "\(layers)", "heads": "\(heads)", "width": "\(width)", "positions": "\(positions)"]))
        let trainer = try checkpoints.trainer(resume: checkpointing.resume, total: total,
                                              restore: { try GPT2LanguageModelTrainer(model: try GPT2(folder: outURL), options: options) },
                                              fresh: { try GPT2LanguageModelTrainer(config: config, seed: seed, options: options) })
        let stop = min(total, checkpointing.stopAfter ?? total)
        try checkpoints.saveBeforeTraining(step: trainer.step, stop: stop, total: total, costly: false,
                                           model: { try trainer.save(to: $0, tokenizer: tokenizerURL) }, state: { try trainer.saveState(to: $0) })
        try trainer.train(rows: rows, batchSize: batchSize, seed: seed, stopAt: stop,
                          progress: checkpoints.onStep(total: total, from: trainer.step, stop: stop,
                                                       model: { try trainer.save(to: $0, tokenizer: tokenizerURL) },
                                                       state: { try trainer.saveState(to: $0) }))
        guard checkpoints.finished(at: trainer.step, of: total) else { return }
        try trainer.save(to: outURL, tokenizer: tokenizerURL)
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

/// Resumable pretraining, shared by both pretrain commands. Every --save-every steps OUT is replaced,
/// atomically, by the model so far plus `trainer_state.safetensors` (the AdamW moments and the step) and
/// `pretrain.json` (the options that fix the run's trajectory). `--resume` continues from there: batches and
/// caption draws depend only on (seed, step), so a resumed run ends with the same bytes as one that never
/// stopped. The finished folder holds the model alone.
struct PretrainCheckpoints {
    static let stateFile = "trainer_state.safetensors", optionsFile = "pretrain.json"
    let out: URL
    let every: Int
    /// Option name (without --) → value, paths made absolute.
    let options: [String: String]

    static func path(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }

    /// The options both commands share, with a command's own `model` options, as `options` wants them.
    static func options(dataset: String, tokenizer: String, split: String, batchSize: Int, steps: Int, lr: Float, warmup: Int,
                        weightDecay: Float, clip: Float?, seed: UInt64, model: [String: String]) -> [String: String] {
        model.merging(["dataset": path(dataset), "tokenizer": path(tokenizer), "split": split, "batch-size": "\(batchSize)",
                       "steps": "\(steps)", "lr": "\(lr)", "warmup": "\(warmup)", "weight-decay": "\(weightDecay)",
                       "clip": clip.map { "\($0)" } ?? "none", "seed": "\(seed)"]) { own, _ in own }
    }

    /// The state to resume from: with `resume`, OUT must hold an unfinished run started with the same options.
    func stateToResume(_ resume: Bool) throws -> URL? {
        let state = out.appendingPathComponent(Self.stateFile)
        let unfinished = FileManager.default.fileExists(atPath: state.path)
        guard resume else {
            if unfinished {
                FileHandle.standardError.write(Data("note: \(out.path) holds an unfinished run; starting over (--resume would continue it)\n".utf8))
            }
            return nil
        }
        guard unfinished else {
            throw TrainingError.invalidInput("cannot resume: \(out.path) holds no unfinished run (no \(Self.stateFile))")
        }
        let file = out.appendingPathComponent(Self.optionsFile)
        guard let data = try? Data(contentsOf: file), let saved = try? JSONDecoder().decode([String: String].self, from: data) else {
            throw TrainingError.invalidInput("cannot resume: \(file.path) is missing or not a JSON object of options")
        }
        for key in Set(saved.keys).union(options.keys).sorted() where saved[key] != options[key] {
            throw TrainingError.invalidInput(
                "cannot resume \(out.path): it was started with --\(key) \(saved[key] ?? "(unset)"), not \(options[key] ?? "(unset)")")
        }
        return state
    }

    /// Replaces OUT atomically (`AtomicWrite.writeDirectory`) with the model (`model` writes a complete folder
    /// at the URL it is given), its trainer state (`state` writes the file) and the options; on failure OUT is
    /// left as it was and nothing is left beside it.
    func save(model: (URL) throws -> Void, state: (URL) throws -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let optionsData = try encoder.encode(options)
        try AtomicWrite.writeDirectory(at: out) { staging in
            try model(staging)
            try state(staging.appendingPathComponent(Self.stateFile))
            try optionsData.write(to: staging.appendingPathComponent(Self.optionsFile))
        }
    }

    /// Whether to save after `step` (1-based) of this invocation, which stops at `stop` of `total`.
    func isDue(step: Int, stop: Int, total: Int) -> Bool {
        step < total && (step == stop || (every > 0 && step % every == 0))
    }

    /// The training loop's progress callback: a progress line with the loss (counting from `start`, the step
    /// resumed at), and a checkpoint whenever one is due.
    func onStep(total: Int, from start: Int, stop: Int, model: @escaping (URL) throws -> Void,
                state: @escaping (URL) throws -> Void) -> (Int, Float, Float) throws -> Void {
        let progress = ProgressLine("pretrain", total: total, unit: "steps", from: start)
        return { step, loss, _ in
            progress.note = String(format: "loss %.4f", loss)
            progress.advance(by: 1)
            if isDue(step: step, stop: stop, total: total) { try save(model: model, state: state) }
        }
    }

    /// Before this invocation's first step, at `step`: a checkpoint when it is to stop right there
    /// (--stop-after at or below `step`), or when `costly` work came first (pretrain clip's warm start) and
    /// checkpoints are on, so an interruption never loses that work.
    func saveBeforeTraining(step: Int, stop: Int, total: Int, costly: Bool, model: (URL) throws -> Void,
                            state: (URL) throws -> Void) throws {
        guard step < total, step >= stop || (costly && every > 0) else { return }
        try save(model: model, state: state)
    }

    /// The trainer to run: with `resume` (see `stateToResume`), `restore`d from the model in OUT with its
    /// optimizer state loaded; otherwise `fresh`.
    func trainer<T: ResumableTrainer>(resume: Bool, total: Int, restore: () throws -> T, fresh: () throws -> T) throws -> T {
        guard let state = try stateToResume(resume) else { return try fresh() }
        let trainer = try restore()
        try trainer.loadState(from: state)
        FileHandle.standardError.write(Data("resuming \(out.path) at step \(trainer.step) of \(total)\n".utf8))
        return trainer
    }

    /// Whether the run reached `total`; when it stopped early, says how to continue it.
    func finished(at step: Int, of total: Int) -> Bool {
        if step < total {
            FileHandle.standardError.write(Data("stopped at step \(step) of \(total); \(out.path) holds a checkpoint: rerun with --resume to continue\n".utf8))
        }
        return step >= total
    }
}

/// --save-every, --resume and --stop-after, shared by both pretrain commands.
struct PretrainCheckpointOptions: ParsableArguments {
    @Option(name: .customLong("save-every"), help: "Save a resumable checkpoint into --out every this many steps (0: only the finished model).")
    var saveEvery: Int = 500
    @Flag(help: "Continue the unfinished run in --out, which must have been started with the same options.")
    var resume = false
    @Option(name: .customLong("stop-after"), help: "Stop once this many steps are done in all, leaving a resumable checkpoint (for time-limited jobs; 0: before the first, after pretrain clip's warm start).")
    var stopAfter: Int?

    func validate() throws {
        guard saveEvery >= 0 else { throw ValidationError("--save-every must not be negative (0: only at the end)") }
        if let stopAfter { guard stopAfter >= 0 else { throw ValidationError("--stop-after must not be negative") } }
    }
}
