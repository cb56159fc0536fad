import Foundation
import Tensor

public enum MapperType: String, Codable, Sendable { case mlp, transformer }
public enum GPT2Mode: String, Codable, Sendable { case finetune, frozen }
/// When a caption ends (`decode.stop` in a manifest, the stop rule in `clipcap.json`).
public enum StopRule: String, Codable, Sendable, CaseIterable {
    /// Stop at `<|endoftext|>` (50256): our checkpoints are trained with it appended to every caption.
    case eos
    /// Stop once "." is generated: the official ClipCap checkpoints never learned an end token, and the
    /// official code stops on `tokenizer.encode('.')[0]`.
    case period
}

/// `clipcap.json` beside a ClipCap checkpoint's model.safetensors (DESIGN.md §3).
public struct ClipCapConfig: Codable, Equatable, Sendable {
    public var mapper: MapperType
    public var prefixSize: Int
    public var prefixLength: Int
    public var clipLength: Int?          // transformer only
    public var numLayers: Int?           // transformer only
    public var normalizePrefix: Bool
    public var gpt2Mode: GPT2Mode
    /// The GPT-2 folder (config, tokenizer; and weights when frozen). Relative paths resolve against the
    /// checkpoint folder.
    public var gpt2: String?
    /// The CLIP folder that produced the training embeddings (used by `clipcap caption`); optional.
    public var clip: String?
    public var stop: StopRule
    public var manifestHash: String?
    public var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case mapper, prefixSize = "prefix_size", prefixLength = "prefix_length", clipLength = "clip_length"
        case numLayers = "num_layers", normalizePrefix = "normalize_prefix", gpt2Mode = "gpt2_mode", gpt2, clip, stop
        case manifestHash = "manifest_hash", seed
    }

    public init(mapper: MapperType, prefixSize: Int, prefixLength: Int, clipLength: Int? = nil, numLayers: Int? = nil,
                normalizePrefix: Bool, gpt2Mode: GPT2Mode, gpt2: String? = nil, clip: String? = nil, stop: StopRule,
                manifestHash: String? = nil, seed: UInt64? = nil) {
        self.mapper = mapper; self.prefixSize = prefixSize; self.prefixLength = prefixLength; self.clipLength = clipLength
        self.numLayers = numLayers; self.normalizePrefix = normalizePrefix; self.gpt2Mode = gpt2Mode; self.gpt2 = gpt2
        self.clip = clip; self.stop = stop; self.manifestHash = manifestHash; self.seed = seed
    }

    /// Writes the config as pretty JSON, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicWrite.write(try encoder.encode(self), to: url)
    }
}
