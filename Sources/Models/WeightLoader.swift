import Foundation
import Tensor
import Layers

/// Where a model's parameters come from, by checkpoint name: a safetensors file (`WeightLoader`) or
/// seeded random values (`RandomParameters`, for benchmarks). Each model's initializer names every
/// parameter once, through this protocol, so loading and random initialization share one table.
public protocol ParameterSource {
    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor
    func scoped(_ more: String) -> Self
}

extension ParameterSource {
    /// `name.weight` (out, in) and `name.bias` (out), torch.nn.Linear layout.
    public func linear(_ name: String, in i: Int, out o: Int, bias: Bool = true) throws -> Linear {
        Linear(weight: try tensor(name + ".weight", [o, i]), bias: bias ? try tensor(name + ".bias", [o]) : nil)
    }

    /// GPT-2 Conv1D: `name.weight` (in, out) and `name.bias` (out).
    public func conv1D(_ name: String, in i: Int, out o: Int) throws -> Linear {
        Linear(weight: try tensor(name + ".weight", [i, o]), bias: try tensor(name + ".bias", [o]), layout: .inOut)
    }

    public func layerNorm(_ name: String, size: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(weight: try tensor(name + ".weight", [size]), bias: try tensor(name + ".bias", [size]), eps: eps)
    }
}

/// Seeded random parameters: N(0, 0.02²) for matrices and embeddings, 1 for norm weights, 0 for biases.
/// Each tensor's values depend only on the seed and its name, so they do not depend on load order.
public struct RandomParameters: ParameterSource {
    public let seed: UInt64
    public var prefix: String = ""
    public init(seed: UInt64) { self.seed = seed }

    public func scoped(_ more: String) -> RandomParameters {
        var r = self; r.prefix += more; return r
    }

    public func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        let full = prefix + name
        if full.hasSuffix(".bias") { return Tensor(zeros: shape) }
        if shape.count == 1 && (full.contains("norm") || full.contains("ln_") || full.contains("layrnorm")) {
            var t = Tensor(uninitialized: shape)
            t.mutableData.update(repeating: 1, count: t.count)
            return t
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a of the name, mixed with the seed
        for b in full.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        var rng = SeededRNG(seed: seed ^ h)
        return Tensor.randomNormal(shape, std: 0.02, rng: &rng)
    }
}

/// Reads named parameters from a safetensors file, checking every shape. All model loading goes
/// through this one place, so a missing tensor or a wrong shape is always one clear error.
public struct WeightLoader: ParameterSource {
    public let file: SafeTensorsFile
    /// Prepended to every name (e.g. "transformer." or "gpt.transformer.").
    public var prefix: String

    public init(file: SafeTensorsFile, prefix: String = "") {
        self.file = file
        self.prefix = prefix
    }

    public init(path: String, prefix: String = "") throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError.missingFile(path) }
        self.init(file: try SafeTensorsFile(path: path), prefix: prefix)
    }

    public func scoped(_ more: String) -> WeightLoader { WeightLoader(file: file, prefix: prefix + more) }

    public func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        try file.tensor(prefix + name, shape: shape)
    }
}

/// Concatenates the rows of several (out_i, in) Linear layers into one (Σout_i, in) layer, so that
/// q, k and v projections run as a single GEMM.
func fuseRows(_ parts: [Linear]) -> Linear {
    let inF = parts[0].inFeatures
    let outF = parts.reduce(0) { $0 + $1.outFeatures }
    var w = Tensor(uninitialized: [outF, inF])
    var b = Tensor(zeros: [outF])
    var row = 0
    for p in parts {
        (w.mutableData + row * inF).update(from: p.weight.data, count: p.outFeatures * inF)
        if let pb = p.bias { (b.mutableData + row).update(from: pb.data, count: p.outFeatures) }
        row += p.outFeatures
    }
    return Linear(weight: w, bias: b)
}
