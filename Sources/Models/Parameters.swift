import Foundation
import Tensor
import Layers

/// Visits a model's parameters by their checkpoint names, one call per named tensor: its name, shape
/// (as the checkpoint stores it) and its Float32 storage. The saver, the optimizer, the state file and the
/// gradient tests all go through this one visitor; called on a gradients value (same type, same shapes)
/// it names each gradient the same way. Pointers are valid until the visited value is next copied or mutated.
public typealias ParameterVisitor = (_ name: String, _ shape: [Int], _ values: UnsafeMutablePointer<Float>) throws -> Void

/// Zeros for every parameter: builds a gradients value with the model's exact shapes.
public struct ZeroParameters: ParameterSource {
    public init() {}
    public func tensor(_ name: String, _ shape: [Int]) throws -> Tensor { Tensor(zeros: shape) }
    public func scoped(_ more: String) -> ZeroParameters { self }
}

extension Linear {
    mutating func visit(_ name: String, _ body: ParameterVisitor) rethrows {
        try body(name + ".weight", weight.shape, weight.mutableData)
        if bias != nil { try body(name + ".bias", [outFeatures], bias!.mutableData) }
    }
}

extension LayerNorm {
    mutating func visit(_ name: String, _ body: ParameterVisitor) rethrows {
        try body(name + ".weight", [size], weight.mutableData)
        try body(name + ".bias", [size], bias.mutableData)
    }
}

extension GPT2 {
    /// transformers' names without a scope (`wte.weight`, `h.0.attn.c_attn.weight`, …, `ln_f.bias`);
    /// a ClipCap checkpoint stores them under `gpt.transformer.`.
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try body("wte.weight", wte.shape, wte.mutableData)
        try body("wpe.weight", wpe.shape, wpe.mutableData)
        for i in blocks.indices {
            let p = "h.\(i)."
            try blocks[i].ln1.visit(p + "ln_1", body)
            try blocks[i].attention.visit(p + "attn.c_attn", body)
            try blocks[i].projection.visit(p + "attn.c_proj", body)
            try blocks[i].ln2.visit(p + "ln_2", body)
            try blocks[i].mlp.fc1.visit(p + "mlp.c_fc", body)
            try blocks[i].mlp.fc2.visit(p + "mlp.c_proj", body)
        }
        try lnF.visit("ln_f", body)
    }

    /// A value of the same shapes holding zeros: the gradients of a fine-tuned GPT-2.
    public func zeroed() throws -> GPT2 { try GPT2(config: config, parameters: ZeroParameters()) }
}

extension MLPMapper {
    /// The official names: `clip_project.model.{0,2}.{weight,bias}`.
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try fc1.visit("clip_project.model.0", body)
        try fc2.visit("clip_project.model.2", body)
    }

    public var prefixSize: Int { fc1.inFeatures }

    /// The mapper from parameters by the official names (a checkpoint, seeded values, or zeros for gradients).
    public init<P: ParameterSource>(parameters p: P, prefixSize: Int, prefixLength: Int, width: Int) throws {
        try self.init(p, prefixSize: prefixSize, prefixLength: prefixLength, width: width)
    }

    public func zeroed() throws -> MLPMapper {
        try MLPMapper(ZeroParameters(), prefixSize: prefixSize, prefixLength: prefixLength, width: width)
    }
}

extension TransformerMapper {
    /// The official names. Each layer's q and kv projections are stored fused as rows [to_queries | to_keys_values]
    /// of one (3C, C) weight, so they are visited as two views of it; the fused zero bias is not a parameter.
    public mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        let c = width
        try linear.visit("clip_project.linear", body)
        try body("clip_project.prefix_const", [prefixLength, c], prefixConst.mutableData)
        for i in encoder.layers.indices {
            let p = "clip_project.transformer.layers.\(i)."
            try encoder.layers[i].norm1.visit(p + "norm1", body)
            let w = encoder.layers[i].qkv.weight.mutableData
            try body(p + "attn.to_queries.weight", [c, c], w)
            try body(p + "attn.to_keys_values.weight", [2 * c, c], w + c * c)
            try encoder.layers[i].outProj.visit(p + "attn.project", body)
            try encoder.layers[i].norm2.visit(p + "norm2", body)
            try encoder.layers[i].mlp.fc1.visit(p + "mlp.fc1", body)
            try encoder.layers[i].mlp.fc2.visit(p + "mlp.fc2", body)
        }
    }

    public var prefixSize: Int { linear.inFeatures }
    public var layerCount: Int { encoder.layers.count }

    /// The mapper from parameters by the official names (a checkpoint, seeded values, or zeros for gradients).
    public init<P: ParameterSource>(parameters p: P, prefixSize: Int, prefixLength: Int, clipLength: Int, layers: Int, width: Int) throws {
        try self.init(p, prefixSize: prefixSize, prefixLength: prefixLength, clipLength: clipLength, layers: layers, width: width)
    }

    public func zeroed() throws -> TransformerMapper {
        try TransformerMapper(ZeroParameters(), prefixSize: prefixSize, prefixLength: prefixLength, clipLength: clipLength,
                              layers: layerCount, width: width)
    }
}
