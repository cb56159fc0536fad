import Data
import Foundation
import Models
import Tensor
import Tokenizers
import Training

/// Errors of a run's stages that name what to do next.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// Training met a NaN or Inf; the last good checkpoint stays in place.
    case diverged(step: Int, what: String, lastGood: String)
    /// --resume found a checkpoint trained under other settings.
    case resumeMismatch(checkpoint: String, reason: String)
    /// A stage needs something an earlier stage makes.
    case missingInput(stage: String, path: String, hint: String)

    public var description: String {
        switch self {
        case let .diverged(step, what, lastGood):
            return "training diverged at step \(step): \(what); the last good checkpoint is \(lastGood)"
        case let .resumeMismatch(checkpoint, reason):
            return "\(checkpoint): cannot resume: \(reason) (run without --resume to start over)"
        case let .missingInput(stage, path, hint):
            return "\(path): not found, needed by the \(stage) stage (\(hint))"
        }
    }
}

/// The train stage (DESIGN.md §5, §8): a ClipCap mapper (and GPT-2 when fine-tuned) trained on an
/// embedding store as the manifest says, into `RUN/checkpoints/{latest,best}` and `RUN/train_log.csv`.
///
/// `checkpoints/latest` is a ClipCap checkpoint folder plus `optimizer.safetensors` (AdamW moments and the
/// step), replaced as one folder every `train.save_every` steps and at the end, so an interrupted run loses
/// at most `save_every` steps and `resume` continues bit for bit. `checkpoints/best` holds the weights whose
/// mean training loss over a save window was lowest. A NaN or Inf stops the run, naming the step, and leaves
/// `latest` as it was.
public struct TrainingRun {
    public let manifest: Manifest
    public let runFolder: URL
    public let log: RunLog

    public init(manifest: Manifest, runFolder: URL, log: RunLog) {
        self.manifest = manifest; self.runFolder = runFolder; self.log = log
    }

    public var latest: URL { runFolder.appendingPathComponent("checkpoints/latest") }
    public var best: URL { runFolder.appendingPathComponent("checkpoints/best") }
    public var trainLog: URL { runFolder.appendingPathComponent("train_log.csv") }
    static let stateFile = "optimizer.safetensors"

    /// The manifest keys a checkpoint depends on; their hash goes into clipcap.json.
    public static let hashedKeys = ["seed", "data", "model", "train"]

    public struct Summary: Sendable {
        public var steps: Int
        public var finalLoss: Double
        public var bestLoss: Double
        public var resumedFrom: Int
        public var truncatedCaptions: Int
        public var seconds: Double
    }

    /// Trains on `store` (a text store for modality text, an image store for modality image). With
    /// `resume` and a `checkpoints/latest` of the same settings, continues from its step.
    public func run(store storeURL: URL, resume: Bool) throws -> Summary {
        let m = manifest
        let gpt2Folder = URL(fileURLWithPath: m.model.gpt2)
        let tokenizer = try GPT2Tokenizer(directory: gpt2Folder)
        let store = try EmbeddingStore.read(storeURL)
        let options = m.trainingDataOptions
        let data: TrainingData
        switch m.train.modality {
        case .text:
            data = try TrainingData(textStore: store, tokenizer: tokenizer, prefixSize: store.dimension, options: options)
        case .image:
            let dataset = URL(fileURLWithPath: m.data.dataset)
            data = try TrainingData(imageStore: store, captions: try Datasets.captions(from: dataset, splits: m.data.trainSplit),
                                    captionsFile: dataset.path, tokenizer: tokenizer, prefixSize: store.dimension, options: options)
        }
        let hash = try m.contentHash(of: Self.hashedKeys)
        let config = ClipCapConfig(
            mapper: m.model.mapper, prefixSize: store.dimension, prefixLength: m.model.prefixLength,
            clipLength: m.model.mapper == .transformer ? m.model.clipLength : nil,
            numLayers: m.model.mapper == .transformer ? m.model.numLayers : nil,
            normalizePrefix: m.train.normalizePrefix, gpt2Mode: m.model.gpt2Mode,
            gpt2: gpt2Folder.standardizedFileURL.path, clip: URL(fileURLWithPath: m.model.clip).standardizedFileURL.path,
            stop: m.decode.stop, manifestHash: hash, seed: m.seed)
        let totalSteps = data.totalSteps
        let trainerOptions = TrainerOptions(learningRate: Float(m.train.lr), warmupSteps: m.train.warmupSteps,
                                            totalSteps: totalSteps, weightDecay: Float(m.train.weightDecay))

        let state = latest.appendingPathComponent(Self.stateFile)
        let resuming = resume && FileManager.default.fileExists(atPath: state.path)
        let trainer: ClipCapTrainer
        if resuming {
            let saved = try decodeConfig(ClipCapConfig.self, from: latest.appendingPathComponent("clipcap.json"))
            guard saved.manifestHash == hash else {
                throw RunError.resumeMismatch(checkpoint: latest.path, reason: "it was trained with other seed, data, model or train settings")
            }
            trainer = try ClipCapTrainer(config: config, gpt2Folder: gpt2Folder, mapperInit: .checkpoint(latest), options: trainerOptions)
            try trainer.loadState(from: state)
            log.line("train: resuming from step \(trainer.step) of \(totalSteps) (\(latest.path))")
        } else {
            if let initial = m.model.initCheckpoint { try Self.checkAgreement(init: URL(fileURLWithPath: initial), with: config) }
            let initial: MapperInit = m.model.initCheckpoint.map { .checkpoint(URL(fileURLWithPath: $0)) } ?? .seeded(m.seed)
            trainer = try ClipCapTrainer(config: config, gpt2Folder: gpt2Folder, mapperInit: initial, options: trainerOptions)
        }
        let resumedFrom = trainer.step
        let trainLog = try TrainLog(url: trainLog, resumeStep: resumedFrom)
        if data.truncatedCaptions > 0 {
            log.line("train: \(data.truncatedCaptions) captions longer than \(m.train.maxCaptionTokens) tokens were truncated")
        }
        log.line("train: \(data.sampleCount) samples, batch \(m.train.batchSize), \(totalSteps) steps, \(m.model.mapper.rawValue) mapper, GPT-2 \(m.model.gpt2Mode.rawValue)")

        let start = Stopwatch.now()
        var lastLoss = Double.nan, windowSum = 0.0, windowCount = 0
        var bestLoss = Double.infinity
        let keepEvery = max(1, totalSteps / 10)
        for step in resumedFrom..<totalSteps {
            let batch = data.batch(step: step)
            let t0 = Stopwatch.now()
            let result: (loss: Float, learningRate: Float)
            do {
                result = try trainer.step(inputs: batch.inputs, targets: batch.targets)
            } catch TrainingError.nonFinite(_, let what) {
                throw RunError.diverged(step: step, what: what,
                                        lastGood: FileManager.default.fileExists(atPath: latest.path) ? latest.path : "none (no checkpoint was saved yet)")
            }
            let seconds = Stopwatch.now() - t0
            lastLoss = Double(result.loss)
            windowSum += lastLoss; windowCount += 1
            try trainLog.append(TrainLogRow(step: step, epoch: batch.epoch, loss: lastLoss, lr: Double(result.learningRate),
                                            tokensPerSecond: Double(batch.tokenCount) / max(seconds, 1e-9)))
            let done = step + 1
            let elapsed = Stopwatch.now() - start, rate = Double(done - resumedFrom) / max(elapsed, 1e-9)
            log.progress(String(format: "train step %d/%d epoch %d loss %.4f lr %.2e (%.2f steps/s, ETA %@)", done, totalSteps,
                                batch.epoch, lastLoss, Double(result.learningRate), rate,
                                RunLog.duration(Double(totalSteps - done) / max(rate, 1e-9))),
                         keep: done % keepEvery == 0 || done == totalSteps)
            if done % m.train.saveEvery == 0 || done == totalSteps {
                let windowMean = windowSum / Double(windowCount)
                windowSum = 0; windowCount = 0
                try saveLatest(trainer, config: config)
                if windowMean < bestLoss {
                    bestLoss = windowMean
                    try trainer.saveCheckpoint(to: best, config: config)
                }
            }
        }
        if resumedFrom >= totalSteps { log.line("train: already at step \(totalSteps); nothing to do") }
        let seconds = Stopwatch.now() - start
        log.line(String(format: "train: %d steps in %@, final loss %.4f", totalSteps - resumedFrom, RunLog.duration(seconds), lastLoss))
        return Summary(steps: totalSteps, finalLoss: lastLoss, bestLoss: bestLoss, resumedFrom: resumedFrom,
                       truncatedCaptions: data.truncatedCaptions, seconds: seconds)
    }

    /// model.init needs only model.safetensors; a clipcap.json beside it must agree with the manifest
    /// (DESIGN.md §3), else the error names the key that differs.
    static func checkAgreement(init folder: URL, with config: ClipCapConfig) throws {
        let json = folder.appendingPathComponent("clipcap.json")
        guard FileManager.default.fileExists(atPath: json.path) else { return }
        let saved = try decodeConfig(ClipCapConfig.self, from: json)
        var checks: [(String, String, String)] = [
            ("model.mapper", saved.mapper.rawValue, config.mapper.rawValue),
            ("prefix_size (the CLIP width)", "\(saved.prefixSize)", "\(config.prefixSize)"),
            ("model.prefix_length", "\(saved.prefixLength)", "\(config.prefixLength)"),
            ("model.gpt2_mode", saved.gpt2Mode.rawValue, config.gpt2Mode.rawValue),
            ("train.normalize_prefix", "\(saved.normalizePrefix)", "\(config.normalizePrefix)"),
        ]
        if config.mapper == .transformer {
            checks += [("model.clip_length", "\(saved.clipLength ?? -1)", "\(config.clipLength ?? -1)"),
                       ("model.num_layers", "\(saved.numLayers ?? -1)", "\(config.numLayers ?? -1)")]
        }
        for (key, said, wanted) in checks where said != wanted {
            throw ModelError.invalidConfig(file: json.path, reason: "\(key) is \(said) there but \(wanted) in the manifest (model.init must match)")
        }
    }

    /// The checkpoint and the optimizer state, staged in one folder and swapped in as `latest`.
    private func saveLatest(_ trainer: ClipCapTrainer, config: ClipCapConfig) throws {
        let staging = latest.deletingLastPathComponent().appendingPathComponent(".latest-staging")
        try? FileManager.default.removeItem(at: staging)
        try trainer.saveCheckpoint(to: staging, config: config)
        try trainer.saveState(to: staging.appendingPathComponent(Self.stateFile))
        try AtomicWrite.replaceDirectory(latest, with: staging)
    }
}
