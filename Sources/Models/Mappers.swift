import Foundation
import Tensor
import Layers

// port of the semantics of the official ClipCap mappers (rmokady/CLIP_prefix_caption, train.py):
//   MLP:          Linear(prefix_size → prefix_length·C/2), Tanh, Linear(→ prefix_length·C)
//   Transformer:  Linear(prefix_size → clip_length·C) viewed as clip_length tokens, followed by the learned
//                 prefix_const (prefix_length × C); 8-head pre-LN blocks, no mask, no positions; the output is
//                 the last prefix_length positions.
// Legend: B batch, P prefix_length, L clip_length, C GPT-2 embedding size.

/// The MLP mapper: clip (B, prefix_size) → prefix (B, P, C).
public struct MLPMapper {
    var fc1: Linear   // clip_project.model.0
    var fc2: Linear   // clip_project.model.2
    public let prefixLength: Int, width: Int

    init<P: ParameterSource>(_ p: P, prefixSize: Int, prefixLength: Int, width c: Int) throws {
        self.prefixLength = prefixLength; width = c
        fc1 = try p.linear("clip_project.model.0", in: prefixSize, out: prefixLength * c / 2)
        fc2 = try p.linear("clip_project.model.2", in: prefixLength * c / 2, out: prefixLength * c)
    }

    public func forward(_ clip: Tensor) -> Tensor {
        var h = fc1.forward(clip)
        Activation.tanh.apply(h.mutableData, count: h.count)
        return fc2.forward(h).reshaped([clip.shape[0], prefixLength, width])
    }
}

/// The Transformer mapper: clip (B, prefix_size) → prefix (B, P, C).
public struct TransformerMapper {
    var linear: Linear          // clip_project.linear
    var prefixConst: Tensor     // clip_project.prefix_const (P, C)
    var encoder: TransformerEncoder
    public let prefixLength: Int, clipLength: Int, width: Int

    /// The official mapper always has 8 heads.
    public static let heads = 8

    init<P: ParameterSource>(_ p: P, prefixSize: Int, prefixLength: Int, clipLength: Int, layers: Int, width c: Int) throws {
        self.prefixLength = prefixLength; self.clipLength = clipLength; width = c
        linear = try p.linear("clip_project.linear", in: prefixSize, out: clipLength * c)
        prefixConst = try p.tensor("clip_project.prefix_const", [prefixLength, c])
        encoder = TransformerEncoder(layers: try (0..<layers).map {
            try TransformerBlock.clipCapMapper(p.scoped("clip_project.transformer.layers.\($0)."), width: c)
        }, width: c, heads: Self.heads)
    }

    public func forward(_ clip: Tensor) -> Tensor {
        let b = clip.shape[0], l = clipLength, pl = prefixLength, c = width, t = l + pl
        let projected = linear.forward(clip)   // (B, L·C)
        var x = Tensor(uninitialized: [b, t, c])
        for r in 0..<b {
            (x.mutableData + r * t * c).update(from: projected.data + r * l * c, count: l * c)
            (x.mutableData + (r * t + l) * c).update(from: prefixConst.data, count: pl * c)
        }
        encoder.forward(&x, batch: b, tokens: t, causal: false)
        var out = Tensor(uninitialized: [b, pl, c])
        for r in 0..<b { (out.mutableData + r * pl * c).update(from: x.data + (r * t + l) * c, count: pl * c) }
        return out
    }
}
