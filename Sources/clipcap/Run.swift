import ArgumentParser
import Experiments
import Foundation

/// The manifest and its overrides, shared by `clipcap run` and `clipcap train`.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Experiment manifest (YAML, DESIGN.md §9).") var manifest: String
    @Option(name: .customLong("set"), help: "Override a key: --set train.lr=1e-4 (repeatable).") var overrides: [String] = []
    @Option(help: "Folder holding run folders (runs/NAME).") var runs = "runs"

    /// The manifest with its overrides; a bad key, type or value is a usage error (exit 2) naming it.
    func load() throws -> Manifest {
        do {
            return try Manifest.load(file: URL(fileURLWithPath: manifest), overrides: overrides)
        } catch let error as ManifestError {
            throw UsageError(error.description)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a manifest's stages into runs/NAME: embed, train, decode, evaluate, gap.",
        discussion: """
        Every path in the manifest is checked before any stage starts. Each stage records a hash of its \
        inputs in runs/NAME/stages/ and is skipped on a rerun when nothing it reads changed; a changed key \
        reruns exactly the stages that depend on it. runs/NAME gets manifest.resolved.yaml, provenance.json, \
        embeddings/, checkpoints/{latest,best}, train_log.csv, results/, metrics.csv, gap/*.csv, plots/*.svg \
        and log.txt (DESIGN.md §8). --resume continues an interrupted training from checkpoints/latest.
        """)

    @OptionGroup var options: ManifestOptions
    @Flag(help: "Continue an interrupted training from runs/NAME/checkpoints/latest.") var resume = false
    @Option(help: "Stages to run, comma-separated, from embed,train,decode,evaluate,gap (default: all).") var stages: String?
    @Flag(help: "Validate the manifest and its paths, print the resolved manifest, and stop.") var dryRun = false

    func selectedStages() throws -> [ExperimentRunner.Stage] {
        guard let stages else { return ExperimentRunner.Stage.allCases }
        let names = commaList(stages)
        let parsed = try names.map { name -> ExperimentRunner.Stage in
            guard let stage = ExperimentRunner.Stage(rawValue: name) else {
                throw ValidationError("unknown stage '\(name)' in --stages (expected embed, train, decode, evaluate, gap)")
            }
            return stage
        }
        guard !parsed.isEmpty else { throw ValidationError("--stages names no stage") }
        return parsed
    }

    func validate() throws { _ = try selectedStages() }

    func run() throws {
        let manifest = try options.load()
        try manifest.validatePaths(relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if dryRun {
            print(try manifest.resolvedYAML(), terminator: "")
            FileHandle.standardError.write(Data("\(options.manifest): valid; every path it needs exists\n".utf8))
            return
        }
        try ExperimentRunner(manifest: manifest, runs: URL(fileURLWithPath: options.runs)).run(stages: try selectedStages(), resume: resume)
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a ClipCap mapper (and GPT-2 when fine-tuned) as a manifest says.",
        discussion: """
        The embed and train stages of `clipcap run`: the training store (embeddings.train, or the CLIP \
        embeddings of data.dataset's train_split, made once into runs/NAME/embeddings/) trains the mapper \
        with AdamW, linear warmup and decay (DESIGN.md §5). Writes runs/NAME/checkpoints/latest (a ClipCap \
        checkpoint with the official tensor names, clipcap.json and the optimizer state, replaced as one \
        folder every train.save_every steps), checkpoints/best, and train_log.csv (step,epoch,loss,lr,tokens_per_s). \
        --resume continues from checkpoints/latest bit for bit. A NaN or Inf stops the run naming the step, and \
        leaves the last good checkpoint in place.
        """)

    @OptionGroup var options: ManifestOptions
    @Flag(help: "Continue from runs/NAME/checkpoints/latest.") var resume = false

    func run() throws {
        let manifest = try options.load()
        try ExperimentRunner(manifest: manifest, runs: URL(fileURLWithPath: options.runs)).run(stages: [.train], resume: resume)
    }
}
