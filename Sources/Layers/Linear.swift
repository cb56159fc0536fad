import Tensor

/// y = x·Wᵀ + b.  x: (N, in) → y: (N, out).
/// `weight` is stored as the checkpoint stores it: (out, in) for torch.nn.Linear, or (in, out) for
/// GPT-2's Conv1D (`layout: .inOut`). The GEMM reads either layout in place, so loading never transposes.
public struct Linear: Sendable {
    public enum Layout: Sendable { case outIn, inOut }
    public var weight: Tensor
    public var bias: Tensor?
    public let layout: Layout
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: Tensor, bias: Tensor?, layout: Layout = .outIn) {
        precondition(weight.rank == 2, "Linear weight must be 2-D")
        self.weight = weight
        self.bias = bias
        self.layout = layout
        (outFeatures, inFeatures) = layout == .outIn ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
        precondition(bias == nil || bias!.count == outFeatures, "Linear bias size must equal out features")
    }

    /// Writes y (rows × out) from x (rows × in); y must not alias x.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        if let bias { fillRows(y, rows: rows, columns: outFeatures, with: bias.data) }
        gemm(transB: layout == .outIn, m: rows, n: outFeatures, k: inFeatures,
             a: x, lda: inFeatures, b: weight.data, ldb: layout == .outIn ? inFeatures : outFeatures,
             beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
    }

    /// x: (…, in) → (…, out).
    public func forward(_ x: Tensor) -> Tensor {
        let rows = x.count / inFeatures
        var y = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
        forward(x.data, rows: rows, into: y.mutableData)
        return y
    }
}
