import Foundation
import Testing
import Tensor
import Models
import TestSupport

/// ClipCap checkpoints with the official state-dict names (Tests/Fixtures/gen_clipcap.py): the mapper's
/// prefix and ClipCaptionModel's logits over [prefix; tokens].
/// Tolerance 1e-5 + 1e-6·|x|: values are O(1)–O(10) after ±0.2 random weights (see CLIPParityTests).
@Suite struct ClipCapTests {
    @Test(arguments: ["tiny-clipcap-mlp", "tiny-clipcap-transformer"])
    func prefixAndLogitsMatchTheOfficialModel(_ name: String) throws {
        let model = try ClipCapModel(folder: fixturesDirectory.appendingPathComponent(name))
        let ref = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("\(name)-outputs.safetensors").path)
        let prefix = try model.prefix(try ref.tensor("clip"))
        expectClose(prefix.scalars, try ref.tensor("prefix").scalars, atol: 1e-5, rtol: 1e-6, "\(name) prefix")
        let (shape, tokens) = try ref.integers("tokens")
        let logits = try model.gpt2.logits(prefix: prefix, ids: tokens.map { Int32($0) }, batch: shape[0], tokens: shape[1])
        expectClose(logits.scalars, try ref.tensor("logits").scalars, atol: 1e-5, rtol: 1e-6, "\(name) logits")
    }

    @Test func configIsReadAndInferred() throws {
        let mlp = try ClipCapModel(folder: fixturesDirectory.appendingPathComponent("tiny-clipcap-mlp"))
        #expect(mlp.config.mapper == .mlp && mlp.config.prefixLength == 3 && mlp.config.gpt2Mode == .finetune)
        #expect(mlp.config.normalizePrefix && mlp.config.stop == .eos)
        let tm = try ClipCapModel(folder: fixturesDirectory.appendingPathComponent("tiny-clipcap-transformer"))
        #expect(tm.config.mapper == .transformer && tm.config.clipLength == 3 && tm.config.numLayers == 2)
        #expect(tm.config.gpt2Mode == .frozen)
    }

    func copy(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dst = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixturesDirectory.appendingPathComponent(name), to: dst)
        try FileManager.default.copyItem(at: fixturesDirectory.appendingPathComponent("tiny-clipcap-gpt2"),
                                         to: dir.appendingPathComponent("tiny-clipcap-gpt2"))
        return dst
    }

    @Test func disagreeingConfigNamesTheKey() throws {
        let folder = try copy("tiny-clipcap-transformer")
        let url = folder.appendingPathComponent("clipcap.json")
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"num_layers\": 2", with: "\"num_layers\": 8")
        try text.write(to: url, atomically: true, encoding: .utf8)
        do { _ = try ClipCapModel(folder: folder); Issue.record("no error") }
        catch { #expect("\(error)".contains("num_layers is 8 but model.safetensors has 2"), "\(error)") }
    }

    @Test func officialCheckpointWithoutConfig() throws {
        // an official fine-tuned checkpoint: no clipcap.json; GPT-2's config is inferred from the tensors
        let folder = try copy("tiny-clipcap-mlp")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("clipcap.json"))
        let model = try ClipCapModel(folder: folder)
        #expect(model.config.stop == .period && !model.config.normalizePrefix)
        #expect(model.gpt2.config.layers == 2 && model.gpt2.config.embeddingSize == 48)
        // frozen without a GPT-2 folder is an error naming what to set
        let frozen = try copy("tiny-clipcap-transformer")
        try FileManager.default.removeItem(at: frozen.appendingPathComponent("clipcap.json"))
        do { _ = try ClipCapModel(folder: frozen); Issue.record("no error") }
        catch { #expect("\(error)".contains("GPT-2 folder"), "\(error)") }
    }

    @Test func wrongEmbeddingWidthIsAnError() throws {
        let model = try ClipCapModel(folder: fixturesDirectory.appendingPathComponent("tiny-clipcap-mlp"))
        #expect(throws: ModelError.self) { try model.prefix(Tensor(zeros: [2, 19])) }
    }
}
