import Tensor

/// The transformer MLP: fc2(act(fc1(x))).  x: (N, C) → (N, C), hidden (N, H).
/// CLIP names these `mlp.fc1`/`mlp.fc2`; GPT-2 names them `mlp.c_fc`/`mlp.c_proj` (Conv1D layout).
public struct FeedForward: Sendable {
    public var fc1: Linear
    public var fc2: Linear
    public let activation: Activation

    public init(fc1: Linear, fc2: Linear, activation: Activation) {
        precondition(fc1.outFeatures == fc2.inFeatures, "FeedForward hidden sizes differ")
        self.fc1 = fc1
        self.fc2 = fc2
        self.activation = activation
    }

    /// y = fc2(act(fc1(x))); `hidden` is scratch of rows × fc1.outFeatures.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, hidden: UnsafeMutablePointer<Float>,
                        into y: UnsafeMutablePointer<Float>) {
        fc1.forward(x, rows: rows, into: hidden)
        activation.apply(hidden, count: rows * fc1.outFeatures)
        fc2.forward(UnsafePointer(hidden), rows: rows, into: y)
    }
}
