import Foundation
import Testing
import Models
import TestSupport

@Suite struct ConfigTests {
    func write(_ json: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func missingFieldIsNamed() throws {
        let url = try write(#"{"text_config": {"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1}, "vision_config": {}}"#)
        do { _ = try CLIPConfig.load(url); Issue.record("no error") }
        catch let e as ModelError {
            #expect("\(e)".contains("text_config.intermediate_size"), "\(e)")
            #expect("\(e)".contains(url.path))
        }
    }

    @Test func wrongTypeAndBadJSONAreNamed() throws {
        let url = try write(#"{"vocab_size": "many", "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2}"#)
        #expect(throws: ModelError.self) { try GPT2Config.load(url) }
        let bad = try write("{not json")
        do { _ = try GPT2Config.load(bad); Issue.record("no error") }
        catch { #expect("\(error)".contains("not valid JSON")) }
        let heads = try write(#"{"vocab_size": 10, "n_positions": 8, "n_embd": 10, "n_layer": 1, "n_head": 3}"#)
        #expect(throws: ModelError.self) { try GPT2Config.load(heads) }
    }

    @Test func missingTensorIsNamed() throws {
        // a CLIP config whose sizes do not match the checkpoint: the first mismatching tensor is named
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var cfg = try String(contentsOf: fixturesDirectory.appendingPathComponent("tiny-clip/config.json"), encoding: .utf8)
        cfg = cfg.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
        try cfg.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: fixturesDirectory.appendingPathComponent("tiny-clip/model.safetensors"),
                                         to: dir.appendingPathComponent("model.safetensors"))
        do { _ = try CLIPModel(folder: dir); Issue.record("no error") }
        catch { #expect("\(error)".contains("missing tensor 'text_model.encoder.layers.2."), "\(error)") }
    }
}
