import Foundation
import Testing
import Tensor
import TestSupport

/// `clipcap pretrain clip` end to end on the demo dataset (8 images, 40 captions, the demo CLIP tokenizer):
/// the saved folder serves `clipcap embed`, runs are reproducible, errors are one line with the right status.
@Suite(.serialized) struct PretrainCLIPCLITests {
    static let demo = CLITests.demo

    static func args(out: URL, seed: String = "3") -> [String] {
        ["pretrain", "clip", "--dataset", demo.appendingPathComponent("dataset.json").path, "--images", demo.path,
         "--tokenizer", CLITests.demoCLIP.path, "--out", out.path, "--split", "train,val,test",
         "--text-width", "32", "--vision-width", "48", "--vision-heads", "6", "--projection-dim", "16",
         "--batch-size", "4", "--steps", "6", "--warmup", "1", "--lr", "1e-3", "--seed", seed]
    }

    @Test func help() throws {
        let r = try CLITests.run(["pretrain", "clip", "--help"])
        #expect(r.status == 0 && r.stdout.contains("USAGE") && r.stdout.contains("--image-size"), "\(r.stderr)")
    }

    @Test func pretrainsOnTheDemoAndWritesAHuggingFaceFolder() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("clip")
        let p = try CLITests.run(Self.args(out: out))
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.contains("pretrain 6/6 steps, loss "), "no progress with loss: \(p.stderr)")
        #expect(p.stderr.contains("trained 6 steps on 8 images (40 captions)"), "\(p.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["config.json", "merges.txt", "model.safetensors", "preprocessor_config.json", "vocab.json"])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
        let text = config["text_config"] as? [String: Any] ?? [:], vision = config["vision_config"] as? [String: Any] ?? [:]
        #expect(config["projection_dim"] as? Int == 16 && text["hidden_size"] as? Int == 32 && vision["hidden_size"] as? Int == 48)
        #expect(text["vocab_size"] as? Int == 580 && text["eos_token_id"] as? Int == 579 && text["bos_token_id"] as? Int == 578)
        #expect(vision["image_size"] as? Int == 32 && vision["patch_size"] as? Int == 8)
        // the folder is a --clip for embed
        let e = try CLITests.run(["embed", "text", "--clip", out.path, "--input", Self.demo.appendingPathComponent("captions.txt").path,
                                  "--out", dir.appendingPathComponent("t.safetensors").path])
        #expect(e.status == 0, "\(e.stderr)")
        let i = try CLITests.run(["embed", "image", "--clip", out.path, "--input", Self.demo.appendingPathComponent("images").path,
                                  "--out", dir.appendingPathComponent("i.safetensors").path])
        #expect(i.status == 0, "\(i.stderr)")
        // the same seed gives the same bytes; another seed does not
        let again = dir.appendingPathComponent("clip2"), other = dir.appendingPathComponent("clip3")
        #expect(try CLITests.run(Self.args(out: again)).status == 0)
        #expect(try CLITests.run(Self.args(out: other, seed: "4")).status == 0)
        let bytes = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        #expect(try Data(contentsOf: again.appendingPathComponent("model.safetensors")) == bytes)
        #expect(try Data(contentsOf: other.appendingPathComponent("model.safetensors")) != bytes)
    }

    /// Stopped at step 3 (--stop-after) and resumed, a run ends with the bytes of one that never stopped; the
    /// checkpoint holds the trainer state and the options until the run finishes. Resuming a finished folder,
    /// or with another option, is a one-line error.
    @Test func stoppedAndResumedRunEndsWithTheSameBytes() throws {
        let dir = try CLITests.tempDir()
        let full = dir.appendingPathComponent("full"), part = dir.appendingPathComponent("part")
        let f = try CLITests.run(Self.args(out: full))
        #expect(f.status == 0, "\(f.stderr)")
        let s = try CLITests.run(Self.args(out: part) + ["--stop-after", "3"])
        #expect(s.status == 0 && s.stderr.contains("stopped at step 3 of 6"), "\(s.stderr)")
        let staged = try FileManager.default.contentsOfDirectory(atPath: part.path).sorted()
        #expect(staged == ["config.json", "merges.txt", "model.safetensors", "preprocessor_config.json", "pretrain.json",
                           "trainer_state.safetensors", "vocab.json"])
        let other = try CLITests.run(Self.args(out: part) + ["--resume", "--lr", "2e-3"])
        #expect(other.status == 1 && other.stderr.contains("it was started with --lr 0.001, not 0.002"), "\(other.stderr)")
        let r = try CLITests.run(Self.args(out: part) + ["--resume"])
        #expect(r.status == 0 && r.stderr.contains("resuming") && r.stderr.contains("at step 3 of 6"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: part.path).sorted()
                == ["config.json", "merges.txt", "model.safetensors", "preprocessor_config.json", "vocab.json"])
        #expect(try Data(contentsOf: part.appendingPathComponent("model.safetensors")) == Data(contentsOf: full.appendingPathComponent("model.safetensors")))
        let done = try CLITests.run(Self.args(out: part) + ["--resume"])
        #expect(done.status == 1 && done.stderr.contains("holds no unfinished run"), "\(done.stderr)")
        let bad = try CLITests.run(Self.args(out: part) + ["--stop-after=-1"])
        #expect(bad.status == 2 && bad.stderr.contains("--stop-after must not be negative"), "\(bad.stderr)")
    }

    /// --logit-scale S: the saved CLIP's logit_scale is ln S (and so is its config's logit_scale_init_value),
    /// recorded for --resume; out-of-range values are usage errors.
    @Test func fixedLogitScaleIsSavedAndRecorded() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("clip")
        let r = try CLITests.run(Self.args(out: out) + ["--logit-scale", "50"])
        #expect(r.status == 0, "\(r.stderr)")
        let scale = try SafeTensorsFile(path: out.appendingPathComponent("model.safetensors").path).tensor("logit_scale").scalars
        #expect(scale == [Float(Foundation.log(50.0))], "\(scale)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
        #expect(abs((config["logit_scale_init_value"] as? Double ?? 0) - Foundation.log(50.0)) < 1e-6, "\(config)")
        let part = dir.appendingPathComponent("part")
        #expect(try CLITests.run(Self.args(out: part) + ["--logit-scale", "50", "--stop-after", "2"]).status == 0)
        let other = try CLITests.run(Self.args(out: part) + ["--logit-scale", "60", "--resume"])
        #expect(other.status == 1 && other.stderr.contains("--logit-scale 50.0, not 60.0"), "\(other.stderr)")
        let same = try CLITests.run(Self.args(out: part) + ["--logit-scale", "50", "--resume"])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(try Data(contentsOf: part.appendingPathComponent("model.safetensors")) == Data(contentsOf: out.appendingPathComponent("model.safetensors")))
        let bad = try CLITests.run(Self.args(out: dir.appendingPathComponent("bad")) + ["--logit-scale", "0.5"])
        #expect(bad.status == 2 && bad.stderr.contains("--logit-scale must be in 1...1000"), "\(bad.stderr)")
    }

    @Test func errorsAreOneLineWithTheRightStatus() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("clip")
        let one = try CLITests.run(Self.args(out: out) + ["--batch-size", "1"])
        #expect(one.status == 2 && one.stderr.contains("--batch-size must be at least 2"), "\(one.stderr)")
        let patch = try CLITests.run(Self.args(out: out) + ["--patch-size", "5"])
        #expect(patch.status == 2 && patch.stderr.contains("must divide --image-size"), "\(patch.stderr)")
        let heads = try CLITests.run(Self.args(out: out) + ["--vision-heads", "5"])
        #expect(heads.status == 2 && heads.stderr.contains("multiple of --vision-heads"), "\(heads.stderr)")
        try CLITests.expectFailure(["pretrain", "clip", "--dataset", dir.appendingPathComponent("none.json").path, "--images", dir.path,
                                    "--tokenizer", CLITests.demoCLIP.path, "--out", out.path], mentions: ["none.json"], out: out)
        try CLITests.expectFailure(Self.args(out: out) + ["--batch-size", "9"], mentions: ["fewer than --batch-size 9"], out: out)
        try CLITests.expectFailure(["pretrain", "clip", "--dataset", Self.demo.appendingPathComponent("dataset.json").path,
                                    "--images", dir.path, "--tokenizer", CLITests.demoCLIP.path, "--out", out.path,
                                    "--split", "train,val,test", "--batch-size", "4", "--steps", "1"], mentions: ["shape_0"], out: out)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// The relation recipe end to end on a tiny generated world: a supervised warm start of both towers and
    /// mirror-twin batches; the options are checked, and a dataset whose images the attributes do not describe
    /// is refused in one line.
    @Test func warmStartAndMirrorTwinsRunOnAGeneratedWorld() throws {
        let dir = try CLITests.tempDir()
        let world = dir.appendingPathComponent("world")
        let g = try CLITests.run(["world", "generate", "--out", world.path, "--images", "12", "--size", "32", "--seed", "1"])
        #expect(g.status == 0, "\(g.stderr)")
        let out = dir.appendingPathComponent("clip")
        let args = ["pretrain", "clip", "--dataset", world.appendingPathComponent("dataset.json").path, "--images", world.path,
                    "--tokenizer", CLITests.demoCLIP.path, "--out", out.path, "--split", "train,val,test",
                    "--text-width", "32", "--vision-width", "48", "--vision-heads", "6", "--projection-dim", "16",
                    "--batch-size", "4", "--steps", "3", "--warmup", "1", "--lr", "1e-3", "--seed", "3",
                    "--attributes", world.appendingPathComponent("attributes.json").path]
        let r = try CLITests.run(args + ["--warm-start-steps", "2", "--mirror-twins", "1"])
        #expect(r.status == 0 && r.stderr.contains("warm start vision") && r.stderr.contains("warm start text"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))
        let noAttributes = try CLITests.run(Array(args.dropLast(2)) + ["--warm-start-steps", "2"])
        #expect(noAttributes.status == 2 && noAttributes.stderr.contains("--warm-start-steps needs --attributes"), "\(noAttributes.stderr)")
        // shape twins: rendered from the attributes beside the files; usage errors without attributes or out of [0, 1]
        // (stopped after a step, resumed: the fraction is part of the run)
        let shapedArgs = args.map { $0 == out.path ? dir.appendingPathComponent("shaped").path : $0 } + ["--mirror-twins", "1"]
        let shaped = try CLITests.run(shapedArgs + ["--shape-twins", "1", "--stop-after", "1"])
        #expect(shaped.status == 0 && shaped.stderr.contains("stopped at step 1 of 3"), "\(shaped.stderr)")
        let otherFraction = try CLITests.run(shapedArgs + ["--shape-twins", "0.5", "--resume"])
        #expect(otherFraction.status == 1 && otherFraction.stderr.contains("--shape-twins"), "\(otherFraction.stderr)")
        let shapedResumed = try CLITests.run(shapedArgs + ["--shape-twins", "1", "--resume"])
        #expect(shapedResumed.status == 0 && FileManager.default.fileExists(atPath: dir.appendingPathComponent("shaped/model.safetensors").path),
                "\(shapedResumed.stderr)")
        let noShapeAttributes = try CLITests.run(Array(args.dropLast(2)) + ["--shape-twins", "0.5"])
        #expect(noShapeAttributes.status == 2 && noShapeAttributes.stderr.contains("--shape-twins needs --attributes"), "\(noShapeAttributes.stderr)")
        let shapeFraction = try CLITests.run(args + ["--shape-twins", "1.5"])
        #expect(shapeFraction.status == 2 && shapeFraction.stderr.contains("--shape-twins must be between 0 and 1"), "\(shapeFraction.stderr)")
        let fraction = try CLITests.run(args + ["--mirror-twins", "1.5"])
        #expect(fraction.status == 2 && fraction.stderr.contains("--mirror-twins must be between 0 and 1"), "\(fraction.stderr)")
        // stopped right after the warm start (--stop-after 0), the checkpoint holds the warmed model, and the
        // resumed run skips the warm start and ends with the bytes of the run that never stopped
        let warmArgs = args.map { $0 == out.path ? dir.appendingPathComponent("warm").path : $0 } + ["--warm-start-steps", "2", "--mirror-twins", "1"]
        let stopped = try CLITests.run(warmArgs + ["--stop-after", "0"])
        #expect(stopped.status == 0 && stopped.stderr.contains("warm start text") && stopped.stderr.contains("stopped at step 0 of 3"), "\(stopped.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("warm/trainer_state.safetensors").path))
        let fewer = try CLITests.run(warmArgs + ["--resume", "--captions-per-image", "1"])
        #expect(fewer.status == 1 && fewer.stderr.contains("started with --captions-per-image (unset), not 1"), "\(fewer.stderr)")
        let unbound = try CLITests.run(warmArgs + ["--resume", "--binding-flags"])
        #expect(unbound.status == 1 && unbound.stderr.contains("started with --binding-flags (unset), not true"), "\(unbound.stderr)")
        let resumed = try CLITests.run(warmArgs + ["--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("at step 0 of 3") && !resumed.stderr.contains("warm start"), "\(resumed.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("warm/model.safetensors")) == Data(contentsOf: out.appendingPathComponent("model.safetensors")))
        // binding flags: the warm start's head also predicts the (shape, colour) pairs, so the warmed towers differ;
        // without a warm start they are a usage error
        let bound = dir.appendingPathComponent("bound")
        let bindArgs = args.map { $0 == out.path ? bound.path : $0 } + ["--warm-start-steps", "2", "--mirror-twins", "1", "--binding-flags"]
        let binding = try CLITests.run(bindArgs)
        #expect(binding.status == 0 && binding.stderr.contains("warm start text"), "\(binding.stderr)")
        #expect(try Data(contentsOf: bound.appendingPathComponent("model.safetensors")) != Data(contentsOf: out.appendingPathComponent("model.safetensors")))
        let noWarm = try CLITests.run(args + ["--binding-flags"])
        #expect(noWarm.status == 2 && noWarm.stderr.contains("--binding-flags needs --warm-start-steps"), "\(noWarm.stderr)")
        // one caption per image: the closing line counts what was trained on (12 images, 5 captions each)
        #expect(r.stderr.contains("on 12 images (60 captions)"), "\(r.stderr)")
        let one = try CLITests.run(args.map { $0 == out.path ? dir.appendingPathComponent("one").path : $0 } + ["--captions-per-image", "1"])
        #expect(one.status == 0 && one.stderr.contains("on 12 images (12 captions)"), "\(one.stderr)")
        let none = try CLITests.run(args + ["--captions-per-image", "0"])
        #expect(none.status == 2 && none.stderr.contains("--captions-per-image must be at least 1"), "\(none.stderr)")
        let small = dir.appendingPathComponent("small")
        #expect(try CLITests.run(["world", "generate", "--out", small.path, "--images", "4", "--size", "32", "--seed", "1"]).status == 0)
        let other = dir.appendingPathComponent("other")
        try CLITests.expectFailure(Array(args.dropLast(2)).map { $0 == out.path ? other.path : $0 }
                                   + ["--attributes", small.appendingPathComponent("attributes.json").path, "--warm-start-steps", "2"],
                                   mentions: ["has no ground truth for image"], out: other)
    }
}
