import Tensor

/// torch.nn.LayerNorm over the last axis, with weight γ and bias β of size C.
public struct LayerNorm: Sendable {
    public var weight: Tensor
    public var bias: Tensor
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, eps: Float) {
        precondition(weight.count == bias.count, "LayerNorm weight and bias sizes differ")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    public var size: Int { weight.count }

    /// Normalizes `rows` rows of `x` into `y` (may alias).
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        layerNorm(x, y, rows: rows, columns: size, gamma: weight.data, beta: bias.data, eps: eps)
    }

    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        forward(x.data, rows: x.count / size, into: y.mutableData)
        return y
    }
}
