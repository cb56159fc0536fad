import ArgumentParser
import Foundation
import Models
import Tensor
import Training

// `clipcap bench train`: one full optimizer step (forward, backward, AdamW) of ClipCap on GPT-2 small with
// seeded random weights. scripts/bench_train_torch.py times the same step in PyTorch.
//   mlp-finetune:        MLP mapper + fine-tuned GPT-2 (everything trained)
//   transformer-frozen:  Transformer mapper (8 layers, clip_length 10) + frozen GPT-2
// Both: batch 8, prefix_length 10, prefix_size 512, captions of 20 tokens with EOS appended (21 targets,
// 30 decoder positions).
extension Bench {
    static let trainVariants = ["mlp-finetune", "transformer-frozen"]

    func runTrain() throws {
        let variants = variant.map { [$0] } ?? Self.trainVariants
        for v in variants {
            guard Self.trainVariants.contains(v) else {
                throw ValidationError("unknown --variant '\(v)' for train (expected \(Self.trainVariants.joined(separator: ", ")))")
            }
        }
        let b = batch ?? 8, length = tokens ?? 20, prefixSize = 512
        let gpt2 = try GPT2(config: .small, parameters: RandomParameters(seed: seed))
        var rng = SeededRNG(seed: seed &+ 1)
        let inputs = Tensor.randomNormal([b, prefixSize], std: 1, rng: &rng)
        let eos = GPT2Config.small.eosTokenId
        let targets = (0..<b).map { _ in (0..<length).map { _ in Int(rng.next() % UInt64(eos)) } + [eos] }
        for v in variants {
            let transformer = v.hasPrefix("transformer")
            let config = ClipCapConfig(mapper: transformer ? .transformer : .mlp, prefixSize: prefixSize, prefixLength: prefixLength,
                                       clipLength: transformer ? 10 : nil, numLayers: transformer ? 8 : nil, normalizePrefix: false,
                                       gpt2Mode: transformer ? .frozen : .finetune, stop: .eos)
            let n = repetitions ?? 5
            // the official default lr; warmup past the run so every step really updates with a small lr
            let trainer = try ClipCapTrainer(config: config, gpt2: gpt2, mapperInit: .seeded(seed),
                                             options: TrainerOptions(learningRate: 2e-5, warmupSteps: 1, totalSteps: n + warmup + 10))
            var losses: [Float] = []
            let times = try Stopwatch.time(repetitions: n, warmup: warmup) {
                losses.append(try trainer.step(inputs: inputs, targets: targets).loss)
            }
            try emit(["kind": "train", "config": "gpt2", "variant": v, "mapper": config.mapper.rawValue,
                      "gpt2_mode": config.gpt2Mode.rawValue, "batch": b, "prefix_length": prefixLength, "prefix_size": prefixSize,
                      "tokens": length, "first_loss": Double(losses.first ?? .nan), "last_loss": Double(losses.last ?? .nan)],
                     times: times)
        }
    }
}
