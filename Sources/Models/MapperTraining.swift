import Foundation
import Tensor
import Layers

// Training forward and backward of the two ClipCap mappers (official semantics, see Mappers.swift).
// Legend: B batch, D prefix_size, P prefix_length, L clip_length, C GPT-2 width, T = L + P mapper tokens.

/// Activations of the MLP mapper for up to `batch` rows.
public struct MLPMapperWorkspace {
    var input, hidden, output, dHidden, dInput: Tensor   // (B, D), (B, P·C/2), (B, P·C), (B, P·C/2), (B, D)
    public let capacity: Int
    public internal(set) var batch = 0

    public init(_ mapper: MLPMapper, batch b: Int) {
        capacity = b
        input = Tensor(uninitialized: [b, mapper.prefixSize]); dInput = Tensor(uninitialized: [b, mapper.prefixSize])
        hidden = Tensor(uninitialized: [b, mapper.fc1.outFeatures]); dHidden = Tensor(uninitialized: [b, mapper.fc1.outFeatures])
        output = Tensor(uninitialized: [b, mapper.fc2.outFeatures])
    }

    /// The prefix (B, P, C) after `trainingForward`.
    public var prefix: UnsafePointer<Float> { output.data }
    /// ∂L/∂clip (B, D) after `trainingBackward`.
    public var inputGradient: UnsafePointer<Float> { dInput.data }
}

extension MLPMapper {
    /// clip (B, D) → prefix (B, P·C) = fc2(tanh(fc1(clip))), saving fc1's activation.
    public func trainingForward(_ clip: UnsafePointer<Float>, batch b: Int, _ ws: inout MLPMapperWorkspace) {
        ws.batch = b
        ws.input.mutableData.update(from: clip, count: b * prefixSize)
        let h = ws.hidden.mutableData
        fc1.forward(ws.input.data, rows: b, into: h)
        Activation.tanh.apply(h, count: b * fc1.outFeatures)
        fc2.forward(ws.hidden.data, rows: b, into: ws.output.mutableData)
    }

    /// From ∂L/∂prefix (B, P·C): accumulates every gradient into `grads` and writes ∂L/∂clip (ws.inputGradient).
    public func trainingBackward(_ dPrefix: UnsafePointer<Float>, _ ws: inout MLPMapperWorkspace, grads: inout MLPMapper) {
        let b = ws.batch, dh = ws.dHidden.mutableData
        fc2.backwardInput(dPrefix, rows: b, into: dh)
        fc2.accumulateGradients(dPrefix, input: ws.hidden.data, rows: b, into: &grads.fc2)
        Activation.tanh.backward(dh, pre: ws.hidden.data, post: ws.hidden.data, count: b * fc1.outFeatures)
        fc1.accumulateGradients(ws.dHidden.data, input: ws.input.data, rows: b, into: &grads.fc1)
        fc1.backwardInput(ws.dHidden.data, rows: b, into: ws.dInput.mutableData)
    }
}

/// Activations of the Transformer mapper for up to `batch` rows.
public struct TransformerMapperWorkspace {
    var input, dInput: Tensor            // (B, D)
    var projected: Tensor                // (B, L·C): dL/dprojected during backward
    var stack: BlockStackWorkspace       // over (B·T, C)
    var output: Tensor                   // (B, P, C)
    public let capacity: Int
    public internal(set) var batch = 0

    public init(_ mapper: TransformerMapper, batch b: Int) {
        capacity = b
        let c = mapper.width, t = mapper.clipLength + mapper.prefixLength
        input = Tensor(uninitialized: [b, mapper.prefixSize]); dInput = Tensor(uninitialized: [b, mapper.prefixSize])
        projected = Tensor(uninitialized: [b, mapper.clipLength * c])
        stack = BlockStackWorkspace(layers: mapper.layerCount, batch: b, tokens: t, width: c,
                                    hidden: mapper.encoder.intermediate, heads: TransformerMapper.heads)
        output = Tensor(uninitialized: [b, mapper.prefixLength, c])
    }

    public var prefix: UnsafePointer<Float> { output.data }
    public var inputGradient: UnsafePointer<Float> { dInput.data }
}

extension TransformerMapper {
    /// clip (B, D) → prefix (B, P, C): linear → L tokens, then prefix_const, the pre-LN layers without a mask,
    /// and the last P positions.
    public func trainingForward(_ clip: UnsafePointer<Float>, batch b: Int, _ ws: inout TransformerMapperWorkspace) {
        ws.batch = b
        let l = clipLength, pl = prefixLength, c = width, t = l + pl
        ws.input.mutableData.update(from: clip, count: b * prefixSize)
        linear.forward(ws.input.data, rows: b, into: ws.projected.mutableData)
        let x = ws.stack.residuals[0].mutableData
        for r in 0..<b {
            (x + r * t * c).update(from: ws.projected.data + r * l * c, count: l * c)
            (x + (r * t + l) * c).update(from: prefixConst.data, count: pl * c)
        }
        encoder.layers.trainingForward(&ws.stack, shape: BlockShape(batch: b, tokens: t, heads: Self.heads, causal: false))
        let y = ws.stack.residuals[encoder.layers.count].data, out = ws.output.mutableData
        for r in 0..<b { (out + r * pl * c).update(from: y + (r * t + l) * c, count: pl * c) }
    }

    /// From ∂L/∂prefix (B, P, C): accumulates every gradient into `grads` and writes ∂L/∂clip (ws.inputGradient).
    public func trainingBackward(_ dPrefix: UnsafePointer<Float>, _ ws: inout TransformerMapperWorkspace, grads: inout TransformerMapper) {
        let b = ws.batch, l = clipLength, pl = prefixLength, c = width, t = l + pl
        let dres = ws.stack.dres.mutableData
        for r in 0..<b {
            (dres + r * t * c).update(repeating: 0, count: l * c)
            (dres + (r * t + l) * c).update(from: dPrefix + r * pl * c, count: pl * c)
        }
        withUnsafeMutablePointer(to: &grads.encoder.layers) {
            encoder.layers.trainingBackward(&ws.stack, shape: BlockShape(batch: b, tokens: t, heads: Self.heads, causal: false), grads: $0)
        }
        let dconst = grads.prefixConst.mutableData, dproj = ws.projected.mutableData
        for r in 0..<b {
            addInPlace(dconst, dres + (r * t + l) * c, count: pl * c)
            (dproj + r * l * c).update(from: dres + r * t * c, count: l * c)
        }
        linear.accumulateGradients(ws.projected.data, input: ws.input.data, rows: b, into: &grads.linear)
        linear.backwardInput(ws.projected.data, rows: b, into: ws.dInput.mutableData)
    }
}
