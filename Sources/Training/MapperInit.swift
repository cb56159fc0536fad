import Foundation
import Tensor

/// Where a trainer's mapper starts from.
public enum MapperInit: Sendable, Equatable {
    /// Fresh weights with PyTorch's defaults for the official modules: nn.Linear weight and bias
    /// U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5), LayerNorm γ = 1 and β = 0, and
    /// prefix_const ~ N(0, 1) (torch.randn). Each tensor's draws depend only on the seed and its name.
    case seeded(UInt64)
    /// A ClipCap checkpoint folder: its model.safetensors (official names). A missing or mis-shaped tensor is
    /// one error naming the file and the tensor. When the trainer fine-tunes GPT-2 and the checkpoint holds
    /// `gpt.transformer.*`, GPT-2 starts from those weights too (resuming a fine-tuned run).
    case checkpoint(URL)
}

/// Fills visited parameters with PyTorch's default initialization (see `MapperInit.seeded`). Relies on the
/// visitors naming a Linear's weight just before its bias, which is how every model in Models visits.
func fillTorchDefaults(seed: UInt64, visit: (ParameterVisitorBody) throws -> Void) rethrows {
    var fanIn = 1
    try visit { name, shape, p in
        let count = shape.reduce(1, *)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a of the name, mixed with the seed
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var rng = SeededRNG(seed: seed ^ h)
        let isNorm = name.contains(".norm1.") || name.contains(".norm2.")
        if name.hasSuffix("prefix_const") {
            for i in 0..<count { p[i] = Float(rng.normal()) }
        } else if isNorm {
            p.update(repeating: name.hasSuffix(".weight") ? 1 : 0, count: count)
        } else {
            if name.hasSuffix(".weight") && shape.count == 2 { fanIn = shape[1] }
            let bound = 1 / Double(fanIn).squareRoot()
            for i in 0..<count { p[i] = Float((2 * rng.uniform() - 1) * bound) }
        }
    }
}

typealias ParameterVisitorBody = (_ name: String, _ shape: [Int], _ values: UnsafeMutablePointer<Float>) -> Void
