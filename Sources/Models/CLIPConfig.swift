import Foundation
import Tensor

/// HF `CLIPTextConfig`. Sizes are required; the rest default as transformers' class does.
public struct CLIPTextConfig: Codable, Sendable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var attentionHeads: Int
    public var layers: Int
    public var maxPositions: Int
    public var vocabSize: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float
    public var eosTokenId: Int
    /// Only carried into a saved config.json (transformers checks them against the vocabulary); unused here.
    public var bosTokenId: Int?, padTokenId: Int?
    public var projectionDim: Int?

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case attentionHeads = "num_attention_heads", layers = "num_hidden_layers"
        case maxPositions = "max_position_embeddings", vocabSize = "vocab_size", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", eosTokenId = "eos_token_id", projectionDim = "projection_dim"
        case bosTokenId = "bos_token_id", padTokenId = "pad_token_id"
    }

    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        attentionHeads = try c.decode(Int.self, forKey: .attentionHeads)
        layers = try c.decode(Int.self, forKey: .layers)
        maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 77
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 49408
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .quickGelu
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? 2
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
    }

    public init(hiddenSize: Int, intermediateSize: Int, attentionHeads: Int, layers: Int, maxPositions: Int = 77,
                vocabSize: Int = 49408, hiddenAct: Activation = .quickGelu, layerNormEps: Float = 1e-5, eosTokenId: Int = 2,
                bosTokenId: Int? = nil, padTokenId: Int? = nil) {
        self.bosTokenId = bosTokenId; self.padTokenId = padTokenId
        self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize; self.attentionHeads = attentionHeads
        self.layers = layers; self.maxPositions = maxPositions; self.vocabSize = vocabSize; self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps; self.eosTokenId = eosTokenId
    }
}

/// HF `CLIPVisionConfig`.
public struct CLIPVisionConfig: Codable, Sendable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var attentionHeads: Int
    public var layers: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var hiddenAct: Activation
    public var layerNormEps: Float

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case attentionHeads = "num_attention_heads", layers = "num_hidden_layers"
        case imageSize = "image_size", patchSize = "patch_size", channels = "num_channels"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        attentionHeads = try c.decode(Int.self, forKey: .attentionHeads)
        layers = try c.decode(Int.self, forKey: .layers)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        patchSize = try c.decode(Int.self, forKey: .patchSize)
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? 3
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? .quickGelu
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
    }

    public init(hiddenSize: Int, intermediateSize: Int, attentionHeads: Int, layers: Int, imageSize: Int,
                patchSize: Int, channels: Int = 3, hiddenAct: Activation = .quickGelu, layerNormEps: Float = 1e-5) {
        self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize; self.attentionHeads = attentionHeads
        self.layers = layers; self.imageSize = imageSize; self.patchSize = patchSize; self.channels = channels
        self.hiddenAct = hiddenAct; self.layerNormEps = layerNormEps
    }

    public var patchesPerSide: Int { imageSize / patchSize }
    public var positions: Int { patchesPerSide * patchesPerSide + 1 }
}

/// HF `CLIPConfig` (a `CLIPModel` folder's config.json).
public struct CLIPConfig: Codable, Sendable {
    public var textConfig: CLIPTextConfig
    public var visionConfig: CLIPVisionConfig
    public var projectionDim: Int
    /// The initial logit_scale (log of the inverse temperature) of a fresh model; transformers' default ln(1/0.07).
    public var logitScaleInitValue: Float

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config", projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
    }

    public init(textConfig: CLIPTextConfig, visionConfig: CLIPVisionConfig, projectionDim: Int, logitScaleInitValue: Float = 2.6592) {
        self.textConfig = textConfig; self.visionConfig = visionConfig; self.projectionDim = projectionDim
        self.logitScaleInitValue = logitScaleInitValue
    }

    public init(from d: Decoder) throws {
        let c = try d.container(keyedBy: CodingKeys.self)
        textConfig = try c.decode(CLIPTextConfig.self, forKey: .textConfig)
        visionConfig = try c.decode(CLIPVisionConfig.self, forKey: .visionConfig)
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? 2.6592
    }

    public static func load(_ url: URL) throws -> CLIPConfig {
        let config = try decodeConfig(CLIPConfig.self, from: url)
        for (name, width, heads) in [("text_config", config.textConfig.hiddenSize, config.textConfig.attentionHeads),
                                     ("vision_config", config.visionConfig.hiddenSize, config.visionConfig.attentionHeads)]
        where heads <= 0 || width % heads != 0 {
            throw ModelError.invalidConfig(file: url.path, reason: "\(name).hidden_size \(width) is not divisible by num_attention_heads \(heads)")
        }
        if config.visionConfig.patchSize <= 0 || config.visionConfig.imageSize % config.visionConfig.patchSize != 0 {
            throw ModelError.invalidConfig(file: url.path, reason: "vision_config.image_size is not a multiple of patch_size")
        }
        return config
    }

    /// ViT-B/32 (`openai/clip-vit-base-patch32`), for benchmarks with random weights.
    public static let vitB32 = CLIPConfig(
        textConfig: CLIPTextConfig(hiddenSize: 512, intermediateSize: 2048, attentionHeads: 8, layers: 12),
        visionConfig: CLIPVisionConfig(hiddenSize: 768, intermediateSize: 3072, attentionHeads: 12, layers: 12,
                                       imageSize: 224, patchSize: 32),
        projectionDim: 512)
}
