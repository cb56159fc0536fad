import Data
import Experiments
import Foundation
import Testing
import TestSupport
import World

/// The main job, shortened for CI: the three demo manifests (supervised, the same-caption ablation, then
/// Unsupervised-ClipCap with the gap study) with the shipped world CLIP and GPT-2, on a small world of 60
/// images generated here, a few training steps each. Checks that every report the README shows is written:
/// metrics with attribute accuracy, gap statistics with retrieval recall, the alignment table, and the
/// mixup table of all three models.
@Suite(.serialized) struct WorldDemoTests {
    static let repository = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    @Test func shortenedDemoWritesEveryReport() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("world-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let world = root.appendingPathComponent("world"), runs = root.appendingPathComponent("runs")
        try WorldGenerator(seed: 7).generate(to: world, images: 60, val: 6, test: 12)
        let models = Self.repository.appendingPathComponent("Experiments/world").path
        func manifest(_ name: String) throws -> Manifest {
            try Manifest.load(file: Self.repository.appendingPathComponent("Experiments/\(name).yaml"), overrides: [
                "data.dataset=\(world.path)/dataset.json", "data.images=\(world.path)", "data.attributes=\(world.path)/attributes.json",
                "model.clip=\(models)/clip", "model.gpt2=\(models)/gpt2",
                "train.max_steps=3", "train.batch_size=8", "train.warmup_steps=1", "train.save_every=3", "decode.max_length=12",
            ] + (name != "demo" ? [] : [
                "gap.mixup.lambdas=[0.0,1.0]",
                "gap.mixup.models=[supervised=\(runs.path)/demo-supervised/checkpoints/latest,same-caption=\(runs.path)/demo-same/checkpoints/latest]",
            ]))
        }
        for name in ["demo-supervised", "demo-same", "demo"] {
            try ExperimentRunner(manifest: try manifest(name), runs: runs, echo: false).run()
            let metrics = try CSVReader.read(runs.appendingPathComponent("\(name)/metrics.csv"))
            #expect(metrics.header.starts(with: ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "ROUGE_L", "CIDEr", "attribute_accuracy",
                                                 "shape_accuracy", "colour_accuracy"]), "\(name)")
            let accuracy = try #require(metrics.column("attribute_accuracy").flatMap { Double(metrics.rows[0][$0]) })
            #expect((0...1).contains(accuracy))
        }
        // the comparison runs leave the gap study to demo.yaml
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("demo-supervised/gap").path))
        let demo = runs.appendingPathComponent("demo")
        let stats = try CSVReader.read(demo.appendingPathComponent("gap/stats.csv"))
        let names = stats.rows.map { $0[0] }
        for metric in ["centroid_gap", "matched_cosine", "i2t_recall@1", "t2i_recall@1", "probe_accuracy"] {
            #expect(names.contains(metric), "\(metric)")
        }
        let alignment = try CSVReader.read(demo.appendingPathComponent("gap/alignment.csv"))
        #expect(alignment.rows.map { $0[0] } == ["none", "mean", "rotation", "ot"])
        #expect(alignment.header.contains("attribute_accuracy"))
        let mixup = try CSVReader.read(demo.appendingPathComponent("gap/mixup.csv"))
        #expect(mixup.rows.map { $0[1] } == ["demo", "supervised", "same-caption", "demo", "supervised", "same-caption"])
        #expect(mixup.rows.allSatisfy { $0[2] == "12" } && mixup.header.contains("attribute_accuracy"))
        for plot in ["gap_scatter", "alignment", "mixup"] {
            #expect(FileManager.default.fileExists(atPath: demo.appendingPathComponent("plots/\(plot).svg").path), "\(plot)")
        }
    }
}
