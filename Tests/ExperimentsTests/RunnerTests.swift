import Data
import Experiments
import Foundation
import Testing
import TestSupport

/// `clipcap run`'s stage logic on the demo manifest pointed at the tiny random-weight fixture world in
/// Experiments/demo (a few training steps): every stage runs once, a rerun
/// skips them all, and a changed decode key reruns decode and what reads its outputs, never embed or train.
@Suite(.serialized) struct RunnerTests {
    static let repository = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// The demo manifest, shortened, with its paths made absolute (the test does not change directory).
    func manifest(_ overrides: [String]) throws -> Manifest {
        let demo = Self.repository.appendingPathComponent("Experiments/demo").path
        return try Manifest.load(file: Self.repository.appendingPathComponent("Experiments/demo.yaml"),
                                 overrides: ["train.epochs=2", "train.max_steps=6", "train.batch_size=10", "train.save_every=3",
                                             "gap.align=[mean]", "gap.mixup.lambdas=[0.0,1.0]", "gap.mixup.models=[]", "data.attributes=null",
                                             "data.dataset=\(demo)/dataset.json", "data.images=\(demo)", "model.clip=\(demo)/clip",
                                             "model.gpt2=\(demo)/gpt2"] + overrides)
    }

    /// Stage lines of log.txt written by one run ("NAME: running" or "NAME: up to date, skipped").
    func stageLines(_ log: URL, after offset: Int) throws -> [String] {
        let text = String(try String(contentsOf: log, encoding: .utf8).dropFirst(offset))
        return text.split(separator: "\n").compactMap { line in
            guard let close = line.firstIndex(of: "]") else { return nil }
            let body = line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
            return body.hasSuffix(": running") || body.hasSuffix(": up to date, skipped") ? body : nil
        }
    }

    @Test func rerunsSkipWhatDidNotChange() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        let log = runs.appendingPathComponent("demo/log.txt")

        try ExperimentRunner(manifest: try manifest([]), runs: runs, echo: false).run()
        let first = try stageLines(log, after: 0)
        #expect(first.filter { $0.hasSuffix("running") } == ["embed train: running", "embed eval_image: running", "embed eval_text: running",
                                                               "train: running", "decode: running", "evaluate: running",
                                                               "gap stats: running", "gap align: running", "gap mixup: running"])
        for file in ["manifest.resolved.yaml", "provenance.json", "train_log.csv", "metrics.csv", "results/test.json",
                     "checkpoints/latest/model.safetensors", "checkpoints/latest/optimizer.safetensors", "checkpoints/best/clipcap.json",
                     "gap/stats.csv", "gap/alignment.csv", "gap/mixup.csv", "plots/mixup.svg", "plots/gap_scatter.svg", "plots/alignment.svg"] {
            #expect(FileManager.default.fileExists(atPath: runs.appendingPathComponent("demo/\(file)").path), "\(file)")
        }
        let rows = try CSVReader.read(runs.appendingPathComponent("demo/train_log.csv"))
        #expect(rows.header == ["step", "epoch", "loss", "lr", "tokens_per_s"] && rows.rows.count == 6)
        #expect(rows.rows.map { $0[0] } == ["0", "1", "2", "3", "4", "5"])

        var offset = try String(contentsOf: log, encoding: .utf8).utf8.count
        try ExperimentRunner(manifest: try manifest([]), runs: runs, echo: false).run()
        #expect(try stageLines(log, after: offset).allSatisfy { $0.hasSuffix("skipped") })

        offset = try String(contentsOf: log, encoding: .utf8).utf8.count
        try ExperimentRunner(manifest: try manifest(["decode.start=a"]), runs: runs, echo: false).run()
        let changed = try stageLines(log, after: offset)
        #expect(changed.filter { $0.hasSuffix("running") } == ["decode: running", "evaluate: running", "gap align: running", "gap mixup: running"])
        #expect(changed.contains("train: up to date, skipped") && changed.contains("gap stats: up to date, skipped"))
    }

    @Test func missingInputsFailBeforeAnyStage() throws {
        let runs = FileManager.default.temporaryDirectory.appendingPathComponent("runs-\(UUID().uuidString)")
        var m = try manifest([])
        m.model.gpt2 = "/nonexistent/gpt2"
        #expect(throws: ManifestError.self) { try ExperimentRunner(manifest: m, runs: runs, echo: false).run() }
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("demo/stages").path))
    }
}
