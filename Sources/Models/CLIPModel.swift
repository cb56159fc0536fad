import Foundation
import Tensor

/// A CLIP model read from a HF `CLIPModel` folder (config.json + model.safetensors).
public struct CLIPModel {
    public let config: CLIPConfig
    public internal(set) var text: CLIPTextModel
    public internal(set) var vision: CLIPVisionModel
    /// transformers' `logit_scale`, a 0-d tensor (one Float): the log of the contrastive inverse temperature.
    public internal(set) var logitScale: Tensor

    /// Both towers, both projections and `logit_scale`, by transformers' CLIPModel names.
    public init<P: ParameterSource>(config: CLIPConfig, parameters p: P) throws {
        self.config = config
        text = try CLIPTextModel(config: config.textConfig, projectionDim: config.projectionDim, parameters: p)
        vision = try CLIPVisionModel(config: config.visionConfig, projectionDim: config.projectionDim, parameters: p)
        logitScale = try p.tensor("logit_scale", [])
    }

    /// Loads `folder/config.json` and `folder/model.safetensors`.
    public init(folder: URL) throws {
        let config = try CLIPConfig.load(folder.appendingPathComponent("config.json"))
        let loader = try WeightLoader(path: folder.appendingPathComponent("model.safetensors").path)
        try self.init(config: config, parameters: loader)
    }
}
