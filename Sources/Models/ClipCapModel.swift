import Foundation
import Tensor

/// A ClipCap checkpoint folder (DESIGN.md §3): a mapper and GPT-2, ready to turn CLIP embeddings into
/// prefixes and decode them.
///
/// `model.safetensors` holds the official ClipCap state-dict names (`clip_project.*`, and `gpt.transformer.*`
/// when GPT-2 was fine-tuned), so converted official checkpoints load. The architecture is read off the
/// tensors; `clipcap.json`, when present, supplies what tensors cannot say (normalize_prefix, the GPT-2
/// folder, the stop rule) and must agree with the tensors, otherwise the error names the key.
public struct ClipCapModel {
    public enum Mapper {
        case mlp(MLPMapper)
        case transformer(TransformerMapper)
    }

    public let config: ClipCapConfig
    public let mapper: Mapper
    public let gpt2: GPT2
    /// The resolved GPT-2 folder, when one is known (for the tokenizer).
    public let gpt2Folder: URL?

    /// Loads `folder/model.safetensors` (+ `folder/clipcap.json` when present). `gpt2Folder` overrides the
    /// config's GPT-2 folder. Without clipcap.json (an official checkpoint), normalize_prefix is false and
    /// the stop rule is `period`.
    public init(folder: URL, gpt2Folder override: URL? = nil) throws {
        let weightsPath = folder.appendingPathComponent("model.safetensors").path
        let loader = try WeightLoader(path: weightsPath)
        let file = loader.file
        let jsonURL = folder.appendingPathComponent("clipcap.json")
        let stored: ClipCapConfig? = FileManager.default.fileExists(atPath: jsonURL.path)
            ? try decodeConfig(ClipCapConfig.self, from: jsonURL) : nil

        // The architecture, as the tensors tell it.
        let finetuned = file.contains("gpt.transformer.wte.weight")
        let mapperType: MapperType
        let prefixSize: Int, prefixLength: Int, width: Int
        var clipLength: Int? = nil, numLayers: Int? = nil
        if file.contains("clip_project.model.0.weight") {
            mapperType = .mlp
            let w0 = try file.entry("clip_project.model.0.weight").shape, w2 = try file.entry("clip_project.model.2.weight").shape
            prefixSize = w0[1]
            if finetuned { width = try file.entry("gpt.transformer.wte.weight").shape[1] }
            else if let g = override ?? stored?.gpt2.map({ Self.resolve($0, in: folder) }) {
                width = try GPT2Config.load(g.appendingPathComponent("config.json")).embeddingSize
            } else { throw ModelError.invalidConfig(file: jsonURL.path, reason: "no GPT-2 folder: set \"gpt2\" in clipcap.json or pass --gpt2") }
            guard w2[0] % width == 0 else {
                throw ModelError.invalidConfig(file: weightsPath, reason: "clip_project.model.2 output \(w2[0]) is not a multiple of the GPT-2 width \(width)")
            }
            prefixLength = w2[0] / width
        } else if file.contains("clip_project.linear.weight") {
            mapperType = .transformer
            let lin = try file.entry("clip_project.linear.weight").shape, pc = try file.entry("clip_project.prefix_const").shape
            prefixSize = lin[1]; prefixLength = pc[0]; width = pc[1]
            guard lin[0] % width == 0 else {
                throw ModelError.invalidConfig(file: weightsPath, reason: "clip_project.linear output \(lin[0]) is not a multiple of the width \(width)")
            }
            clipLength = lin[0] / width
            numLayers = Set(file.names.compactMap { name -> Int? in
                guard name.hasPrefix("clip_project.transformer.layers.") else { return nil }
                return Int(name.dropFirst("clip_project.transformer.layers.".count).prefix { $0.isNumber })
            }).count
        } else {
            throw SafeTensorsError.missingTensor(file: weightsPath, name: "clip_project.model.0.weight (MLP) or clip_project.linear.weight (Transformer)")
        }

        let inferred = ClipCapConfig(mapper: mapperType, prefixSize: prefixSize, prefixLength: prefixLength,
                                     clipLength: clipLength, numLayers: numLayers,
                                     normalizePrefix: stored?.normalizePrefix ?? false,
                                     gpt2Mode: finetuned ? .finetune : .frozen, gpt2: stored?.gpt2, clip: stored?.clip,
                                     stop: stored?.stop ?? .period, manifestHash: stored?.manifestHash, seed: stored?.seed)
        if let stored {
            let checks: [(String, String, String)] = [
                ("mapper", stored.mapper.rawValue, inferred.mapper.rawValue),
                ("prefix_size", "\(stored.prefixSize)", "\(inferred.prefixSize)"),
                ("prefix_length", "\(stored.prefixLength)", "\(inferred.prefixLength)"),
                ("gpt2_mode", stored.gpt2Mode.rawValue, inferred.gpt2Mode.rawValue),
            ] + (mapperType == .transformer ? [
                ("clip_length", "\(stored.clipLength ?? -1)", "\(inferred.clipLength ?? -1)"),
                ("num_layers", "\(stored.numLayers ?? -1)", "\(inferred.numLayers ?? -1)"),
            ] : [])
            for (key, said, found) in checks where said != found {
                throw ModelError.invalidConfig(file: jsonURL.path, reason: "\(key) is \(said) but model.safetensors has \(found)")
            }
        }
        config = inferred
        gpt2Folder = override ?? stored?.gpt2.map { Self.resolve($0, in: folder) }

        switch mapperType {
        case .mlp: mapper = .mlp(try MLPMapper(loader, prefixSize: prefixSize, prefixLength: prefixLength, width: width))
        case .transformer:
            mapper = .transformer(try TransformerMapper(loader, prefixSize: prefixSize, prefixLength: prefixLength,
                                                        clipLength: clipLength!, layers: numLayers!, width: width))
        }

        if finetuned {
            let gconfig: GPT2Config
            if let g = gpt2Folder, FileManager.default.fileExists(atPath: g.appendingPathComponent("config.json").path) {
                gconfig = try GPT2Config.load(g.appendingPathComponent("config.json"))
            } else {
                gconfig = try Self.inferGPT2Config(file)
            }
            gpt2 = try GPT2(config: gconfig, parameters: loader.scoped("gpt.transformer."))
        } else {
            guard let g = gpt2Folder else {
                throw ModelError.invalidConfig(file: jsonURL.path, reason: "a frozen-GPT-2 checkpoint needs its GPT-2 folder: set \"gpt2\" in clipcap.json or pass --gpt2")
            }
            gpt2 = try GPT2(folder: g)
        }
        guard gpt2.config.embeddingSize == width else {
            throw ModelError.invalidConfig(file: weightsPath, reason: "mapper width \(width) does not match GPT-2's n_embd \(gpt2.config.embeddingSize)")
        }
    }

    static func resolve(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }

    /// GPT-2's config from the fine-tuned tensors alone (official checkpoints carry no config): sizes from
    /// the shapes, 64-wide heads as every GPT-2 size has, other fields at transformers' defaults.
    static func inferGPT2Config(_ file: SafeTensorsFile) throws -> GPT2Config {
        let wte = try file.entry("gpt.transformer.wte.weight").shape, wpe = try file.entry("gpt.transformer.wpe.weight").shape
        let layers = Set(file.names.compactMap { name -> Int? in
            guard name.hasPrefix("gpt.transformer.h.") else { return nil }
            return Int(name.dropFirst("gpt.transformer.h.".count).prefix { $0.isNumber })
        }).count
        return GPT2Config(vocabSize: wte[0], positions: wpe[0], embeddingSize: wte[1], layers: layers,
                          heads: max(1, wte[1] / 64))
    }

    /// CLIP embeddings (B, prefix_size) → GPT-2 prefix embeddings (B, prefix_length, C), applying
    /// normalize_prefix (L2 normalization) first when the checkpoint was trained with it.
    public func prefix(_ clip: Tensor) throws -> Tensor {
        guard clip.rank == 2, clip.shape[1] == config.prefixSize else {
            throw ModelError.invalidInput("CLIP embeddings have shape \(clip.shape), the mapper expects (N, \(config.prefixSize))")
        }
        var x = clip
        if config.normalizePrefix { l2NormalizeRows(&x) }
        switch mapper {
        case .mlp(let m): return m.forward(x)
        case .transformer(let m): return m.forward(x)
        }
    }
}

/// Divides each row by its L2 norm (rows of zeros stay zero), as `x / x.norm(2, -1)`.
public func l2NormalizeRows(_ x: inout Tensor) {
    let c = x.shape.last ?? 0, rows = c == 0 ? 0 : x.count / c
    let p = x.mutableData
    for r in 0..<rows {
        var ss: Double = 0
        for j in 0..<c { ss += Double(p[r * c + j]) * Double(p[r * c + j]) }
        let inv = ss > 0 ? Float(1 / ss.squareRoot()) : 0
        for j in 0..<c { p[r * c + j] *= inv }
    }
}
