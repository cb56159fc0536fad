import Foundation
import Testing
import TestSupport

/// `clipcap pretrain gpt2` end to end on a generated world: the saved folder, progress, exit codes.
@Suite(.serialized) struct PretrainCLITests {
    @Test func help() throws {
        for args in [["pretrain"], ["pretrain", "gpt2"]] {
            let r = try CLITests.run(args + ["--help"])
            #expect(r.status == 0 && r.stdout.contains("USAGE"), "\(args): \(r.stderr)")
        }
    }

    @Test func pretrainsOnAWorldAndWritesAHuggingFaceFolder() throws {
        let dir = try CLITests.tempDir()
        let world = dir.appendingPathComponent("world"), vocab = dir.appendingPathComponent("vocab"), out = dir.appendingPathComponent("lm")
        let g = try CLITests.run(["world", "generate", "--out", world.path, "--images", "100", "--size", "16", "--seed", "2"])
        #expect(g.status == 0, "\(g.stderr)")
        let dataset = world.appendingPathComponent("dataset.json").path
        let b = try CLITests.run(["world", "bpe", "--dataset", dataset, "--out", vocab.path, "--merges", "50"])
        #expect(b.status == 0, "\(b.stderr)")
        let p = try CLITests.run(["pretrain", "gpt2", "--dataset", dataset, "--tokenizer", vocab.path, "--out", out.path,
                                  "--layers", "1", "--heads", "2", "--width", "32", "--positions", "32",
                                  "--batch-size", "16", "--steps", "12", "--lr", "3e-3", "--warmup", "2", "--seed", "5"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.contains("pretrain 12/12 steps, loss "), "no progress with loss: \(p.stderr)")
        #expect(p.stderr.contains("trained 12 steps on 400 captions"), "\(p.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["config.json", "merges.txt", "model.safetensors", "vocab.json"])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["n_layer"] as? Int == 1 && config?["n_embd"] as? Int == 32 && config?["n_positions"] as? Int == 32)
        #expect(config?["vocab_size"] as? Int == 307 && config?["eos_token_id"] as? Int == 306)
        // the same seed gives the same bytes
        let again = dir.appendingPathComponent("lm2")
        let q = try CLITests.run(["pretrain", "gpt2", "--dataset", dataset, "--tokenizer", vocab.path, "--out", again.path,
                                  "--layers", "1", "--heads", "2", "--width", "32", "--positions", "32",
                                  "--batch-size", "16", "--steps", "12", "--lr", "3e-3", "--warmup", "2", "--seed", "5"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(try Data(contentsOf: again.appendingPathComponent("model.safetensors")) == Data(contentsOf: out.appendingPathComponent("model.safetensors")))
    }

    /// A run stopped at step 4, with checkpoints every 2 steps, and resumed ends with the bytes of one that
    /// never stopped (see PretrainCLIPCLITests for the CLIP side and the errors).
    @Test func stoppedAndResumedRunEndsWithTheSameBytes() throws {
        let dir = try CLITests.tempDir()
        let tokenizer = CLITests.repo.appendingPathComponent("Experiments/world/gpt2").path
        let dataset = CLITests.demo.appendingPathComponent("dataset.json").path
        func args(_ out: URL) -> [String] {
            ["pretrain", "gpt2", "--dataset", dataset, "--tokenizer", tokenizer, "--out", out.path, "--split", "train,val,test",
             "--layers", "1", "--heads", "2", "--width", "32", "--positions", "32", "--batch-size", "4", "--steps", "6",
             "--warmup", "1", "--seed", "3"]
        }
        let full = dir.appendingPathComponent("full"), part = dir.appendingPathComponent("part")
        #expect(try CLITests.run(args(full)).status == 0)
        let s = try CLITests.run(args(part) + ["--stop-after", "4", "--save-every", "2"])
        #expect(s.status == 0 && s.stderr.contains("stopped at step 4 of 6"), "\(s.stderr)")
        #expect(FileManager.default.fileExists(atPath: part.appendingPathComponent("trainer_state.safetensors").path))
        let r = try CLITests.run(args(part) + ["--resume"])
        #expect(r.status == 0 && r.stderr.contains("at step 4 of 6"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: part.path).sorted() == ["config.json", "merges.txt", "model.safetensors", "vocab.json"])
        #expect(try Data(contentsOf: part.appendingPathComponent("model.safetensors")) == Data(contentsOf: full.appendingPathComponent("model.safetensors")))
        // --stop-after 0 leaves a checkpoint before the first step, and it resumes to the same bytes
        let zero = dir.appendingPathComponent("zero")
        let z = try CLITests.run(args(zero) + ["--stop-after", "0"])
        #expect(z.status == 0 && z.stderr.contains("stopped at step 0 of 6"), "\(z.stderr)")
        #expect(try CLITests.run(args(zero) + ["--resume"]).status == 0)
        #expect(try Data(contentsOf: zero.appendingPathComponent("model.safetensors")) == Data(contentsOf: full.appendingPathComponent("model.safetensors")))
    }

    @Test func errorsAreOneLineWithTheRightStatus() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("lm").path
        let both = try CLITests.run(["pretrain", "gpt2", "--dataset", "d.json", "--tokenizer", "t", "--out", out, "--epochs", "1", "--steps", "3"])
        #expect(both.status == 2 && both.stderr.contains("give --epochs or --steps, not both"), "\(both.stderr)")
        let width = try CLITests.run(["pretrain", "gpt2", "--dataset", "d.json", "--tokenizer", "t", "--out", out, "--width", "30", "--heads", "4"])
        #expect(width.status == 2 && width.stderr.contains("multiple of --heads"), "\(width.stderr)")
        let missing = try CLITests.run(["pretrain", "gpt2", "--dataset", dir.appendingPathComponent("none.json").path,
                                        "--tokenizer", dir.appendingPathComponent("none").path, "--out", out])
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(missing.stderr.hasPrefix("clipcap: error: ") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
