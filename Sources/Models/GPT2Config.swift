import Foundation
import Tensor

/// HF `GPT2Config`. Sizes are required; the rest default as transformers' class does.
public struct GPT2Config: Codable, Sendable {
    public var vocabSize: Int
    public var positions: Int
    public var embeddingSize: Int
    public var layers: Int
    public var heads: Int
    public var innerSize: Int?
    public var activation: Activation
    public var layerNormEps: Float
    public var eosTokenId: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", positions = "n_positions", embeddingSize = "n_embd", layers = "n_layer"
        case heads = "n_head", innerSize = "n_inner", activation = "activation_function"
        case layerNormEps = "layer_norm_epsilon", eosTokenId = "eos_token_id"
    }

    public init(vocabSize: Int = 50257, positions: Int = 1024, embeddingSize: Int = 768, layers: Int = 12, heads: Int = 12,
                innerSize: Int? = nil, activation: Activation = .geluNew, layerNormEps: Float = 1e-5, eosTokenId: Int = 50256) {
        self.vocabSize = vocabSize; self.positions = positions; self.embeddingSize = embeddingSize; self.layers = layers
        self.heads = heads; self.innerSize = innerSize; self.activation = activation; self.layerNormEps = layerNormEps
        self.eosTokenId = eosTokenId
    }

    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        positions = try c.decode(Int.self, forKey: .positions)
        embeddingSize = try c.decode(Int.self, forKey: .embeddingSize)
        layers = try c.decode(Int.self, forKey: .layers)
        heads = try c.decode(Int.self, forKey: .heads)
        innerSize = try c.decodeIfPresent(Int.self, forKey: .innerSize)
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .geluNew
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? 50256
    }

    public var hiddenSize: Int { innerSize ?? 4 * embeddingSize }

    public static func load(_ url: URL) throws -> GPT2Config {
        let config = try decodeConfig(GPT2Config.self, from: url)
        guard config.heads > 0, config.embeddingSize % config.heads == 0 else {
            throw ModelError.invalidConfig(file: url.path, reason: "n_embd \(config.embeddingSize) is not divisible by n_head \(config.heads)")
        }
        return config
    }

    /// GPT-2 small (`gpt2`), for benchmarks with random weights.
    public static let small = GPT2Config()
}
