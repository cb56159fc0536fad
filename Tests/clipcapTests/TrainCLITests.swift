import Foundation
import Testing
import TestSupport

/// `clipcap train` end to end on the demo manifest (pointed at the tiny random-weight set in Experiments/demo): a run killed in training and resumed with --resume
/// reaches the same losses, bit for bit, as an uninterrupted run with the same seed; bad manifests and
/// overrides are one-line usage errors.
@Suite(.serialized) struct TrainCLITests {
    static var settings: [String] {
        let demo = CLITests.demo.path
        return ["--set", "train.epochs=6", "--set", "train.max_steps=18", "--set", "train.batch_size=10", "--set", "train.save_every=2",
                "--set", "data.attributes=null", "--set", "gap.mixup.models=[]", "--set", "data.dataset=\(demo)/dataset.json",
                "--set", "data.images=\(demo)", "--set", "model.clip=\(demo)/clip", "--set", "model.gpt2=\(demo)/gpt2"]
    }

    static func losses(_ runs: URL) throws -> [String] {
        try String(contentsOf: runs.appendingPathComponent("demo/train_log.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[2]) }
    }

    @Test func killedRunResumesToTheSameLosses() throws {
        let manifest = CLITests.demo.deletingLastPathComponent().appendingPathComponent("demo.yaml").path
        let whole = try CLITests.tempDir()
        let a = try CLITests.run(["train", manifest, "--runs", whole.path] + Self.settings)
        #expect(a.status == 0, "\(a.stderr)")
        let expected = try Self.losses(whole)
        #expect(expected.count == 18)

        let cut = try CLITests.tempDir()
        let p = Process()
        p.executableURL = CLITests.tool
        p.arguments = ["train", manifest, "--runs", cut.path] + Self.settings
        p.standardError = FileHandle.nullDevice
        try p.run()
        let state = cut.appendingPathComponent("demo/checkpoints/latest/optimizer.safetensors")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: state.path) && p.isRunning && Date() < deadline { usleep(2_000) }
        let interrupted = p.isRunning
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let b = try CLITests.run(["train", manifest, "--runs", cut.path, "--resume"] + Self.settings)
        #expect(b.status == 0, "\(b.stderr)")
        if interrupted { #expect(b.stderr.contains("resuming from step")) }
        #expect(try Self.losses(cut) == expected)
    }

    /// model.init's clipcap.json must agree with the manifest; the error names the key.
    @Test func initCheckpointMustAgree() throws {
        let manifest = CLITests.demo.deletingLastPathComponent().appendingPathComponent("demo.yaml").path
        let runs = try CLITests.tempDir()
        let initial = fixturesDirectory.appendingPathComponent("tiny-clipcap-demo").path
        let r = try CLITests.run(["train", manifest, "--runs", runs.path, "--set", "model.init=\(initial)",
                                  "--set", "model.prefix_length=5"] + Self.settings)
        #expect(r.status == 1)
        #expect(r.stderr.contains("model.prefix_length is 4 there but 5 in the manifest"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("clipcap: error") }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("demo/checkpoints/latest").path))
    }

    @Test func manifestErrorsAreOneLineUsageErrors() throws {
        let dir = try CLITests.tempDir()
        let bad = dir.appendingPathComponent("bad.yaml")
        try "name: x\ntrain:\n  batchsize: 4\n".write(to: bad, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("runs/x")
        try CLITests.expectFailure(["train", bad.path, "--runs", dir.appendingPathComponent("runs").path], status: 2,
                                   mentions: ["unknown key train.batchsize at line 3", "batch_size"], out: out)
        let manifest = CLITests.demo.deletingLastPathComponent().appendingPathComponent("demo.yaml").path
        try CLITests.expectFailure(["run", manifest, "--runs", dir.appendingPathComponent("runs").path, "--set", "train.lr=fast"], status: 2,
                                   mentions: ["train.lr", "fast"], out: out)
        try CLITests.expectFailure(["run", manifest, "--stages", "train,nope"], status: 2, mentions: ["nope"], out: out)
        let split = try CLITests.run(["run", manifest, "--runs", dir.appendingPathComponent("runs").path] + Self.settings + ["--set", "data.eval_split=nope"])
        #expect(split.status == 1 && split.stderr.contains("for splits [nope]") && split.stderr.split(separator: "\n").count == 1, "\(split.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/demo/stages").path), "no stage ran")
        let missing = try CLITests.run(["run", manifest, "--runs", dir.appendingPathComponent("runs").path] + Self.settings
                                       + ["--set", "model.gpt2=/nonexistent/gpt2"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/gpt2") && missing.stderr.split(separator: "\n").count == 1)
    }
}
