import Foundation
import Tensor
import Models

// Saving a pretrained language model as a Hugging Face GPT-2 folder, the layout transformers'
// GPT2LMHeadModel.save_pretrained writes and from_pretrained reads (Tests/Fixtures/pretrain/hf_tensors.json).

extension GPT2LanguageModelTrainer {
    /// Writes `folder/config.json` (GPT2Config with HF names, "architectures": ["GPT2LMHeadModel"],
    /// model_type gpt2, bos and eos = the tokenizer's EOS), `folder/model.safetensors` (every weight as
    /// `transformer.NAME`, Conv1D weights (in, out) as transformers stores them; the lm_head is tied to wte and
    /// left out, as save_pretrained leaves it out) and copies of `tokenizer/vocab.json` and
    /// `tokenizer/merges.txt`. Atomic: everything goes into a temporary folder beside `folder`, which is then
    /// renamed over it.
    public func save(to folder: URL, tokenizer: URL) throws {
        let fm = FileManager.default
        for name in ["vocab.json", "merges.txt"] {
            let path = tokenizer.appendingPathComponent(name).path
            guard fm.fileExists(atPath: path) else { throw TrainingError.invalidConfig("\(path): no such file (a tokenizer folder needs vocab.json and merges.txt)") }
        }
        var tensors: [String: Tensor] = [:]
        visitParameters { name, shape, p in tensors["transformer." + name] = Tensor(copying: p, shape: shape) }
        let configData = try Self.configJSON(config)

        try AtomicWrite.writeDirectory(at: folder) { tmp in
            try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: tmp.appendingPathComponent("model.safetensors"))
            try configData.write(to: tmp.appendingPathComponent("config.json"))
            for name in ["vocab.json", "merges.txt"] {
                try fm.copyItem(at: tokenizer.appendingPathComponent(name), to: tmp.appendingPathComponent(name))
            }
        }
    }

    /// config.json: GPT2Config's own HF keys plus what from_pretrained needs to pick the class and tokens.
    static func configJSON(_ config: GPT2Config) throws -> Data {
        let encoded = try JSONEncoder().encode(config)
        guard var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] else {
            throw TrainingError.invalidConfig("GPT2Config did not encode as a JSON object")
        }
        object["architectures"] = ["GPT2LMHeadModel"]
        object["model_type"] = "gpt2"
        object["bos_token_id"] = config.eosTokenId
        object["eos_token_id"] = config.eosTokenId
        object["tie_word_embeddings"] = true
        // the Float written as its shortest decimal (1e-05), not as the nearest Double (9.99999974737875e-06)
        object["layer_norm_epsilon"] = Double(String(config.layerNormEps)) ?? Double(config.layerNormEps)
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
