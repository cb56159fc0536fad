import ArgumentParser
import Decoding
import Foundation
import Models

/// The decoding options shared by `caption`, `decode` and `gap mixup`: the strategy, its parameters,
/// the stop rule, start words and the batch size.
struct DecodingFlags: ParsableArguments {
    @Option(help: "Beam search with this many beams (the default strategy, with 5 beams).") var beam: Int?
    @Flag(help: "Greedy decoding (the most likely token at each step).") var greedy = false
    @Flag(help: "Sampling with --temperature and --top-p, seeded by --seed.") var sample = false
    @Option(help: "Sampling temperature (0 is greedy).") var temperature: Float = 1.0
    @Option(help: "Sampling nucleus: the smallest set of likeliest tokens whose probability reaches it.") var topP: Float = 0.9
    @Option(help: "Sampling seed; caption i draws from seed + i, whatever the batch size.") var seed: UInt64 = 0
    @Option(help: "Most tokens generated after the start words, the stop token included.") var maxLength = DecodingOptions.defaultMaxLength
    @Option(help: "Stop rule: eos | period (default: the checkpoint's; period for official checkpoints).") var stop: String?
    @Option(help: "Start words: every caption begins with them and continues from them.") var start = ""
    @Option(help: "Images decoded per batch.") var batchSize = 32
    @Option(help: "GPT-2 folder (tokenizer; and weights of a frozen-GPT-2 checkpoint), overriding clipcap.json's.") var gpt2: String?

    func validate() throws {
        guard [beam != nil, greedy, sample].filter({ $0 }).count <= 1 else {
            throw ValidationError("choose one of --beam N, --greedy and --sample")
        }
        if let beam, beam < 1 { throw ValidationError("--beam must be at least 1") }
        guard maxLength >= 1 else { throw ValidationError("--max-length must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        if let stop, StopRule(rawValue: stop) == nil { throw ValidationError("--stop must be eos or period, got '\(stop)'") }
    }

    var strategy: DecodingStrategy {
        if greedy { return .greedy }
        if sample { return .sample(temperature: temperature, topP: topP, seed: seed) }
        return .beam(width: beam ?? 5)
    }

    var stopRule: StopRule? { stop.flatMap(StopRule.init(rawValue:)) }

    /// Loads a checkpoint folder (with --gpt2 when given).
    func loadCaptioner(_ checkpoint: String) throws -> Captioner {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError.missingFile(checkpoint + " (ClipCap checkpoint folder)")
        }
        return try Captioner(checkpoint: URL(fileURLWithPath: checkpoint), gpt2Folder: gpt2.map { URL(fileURLWithPath: $0) })
    }

    /// Loads the checkpoint and resolves these flags against it.
    func captioner(checkpoint: String) throws -> (Captioner, DecodingOptions) {
        let captioner = try loadCaptioner(checkpoint)
        return (captioner, try captioner.options(strategy: strategy, maxLength: maxLength, stop: stopRule, startWords: start))
    }
}
