import Tensor

// Backward of y = x·Wᵀ + b (llm.c matmul_backward), for both weight layouts.
// x: (N, in), dy: (N, out), W: (out, in) [.outIn, torch.nn.Linear] or (in, out) [.inOut, GPT-2 Conv1D].
extension Linear {
    /// dx = dy·W (the gradient w.r.t. the input), overwriting `dx` (N, in), or adding into it with `accumulate`.
    public func backwardInput(_ dy: UnsafePointer<Float>, rows: Int, into dx: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        gemm(transB: layout == .inOut, m: rows, n: inFeatures, k: outFeatures,
             a: dy, lda: outFeatures, b: weight.data, ldb: layout == .outIn ? inFeatures : outFeatures,
             beta: accumulate ? 1 : 0, c: dx, ldc: inFeatures)
    }

    /// dW += dyᵀ·x (stored in this layer's layout) and db += Σ_rows dy, into `grads` (same shapes as self).
    public func accumulateGradients(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int, into grads: inout Linear) {
        if layout == .outIn {
            gemm(transA: true, m: outFeatures, n: inFeatures, k: rows, a: dy, lda: outFeatures, b: x, ldb: inFeatures,
                 beta: 1, c: grads.weight.mutableData, ldc: inFeatures)
        } else {
            gemm(transA: true, m: inFeatures, n: outFeatures, k: rows, a: x, lda: inFeatures, b: dy, ldb: outFeatures,
                 beta: 1, c: grads.weight.mutableData, ldc: outFeatures)
        }
        if bias != nil, grads.bias != nil {
            accumulateColumnSums(dy, rows: rows, columns: outFeatures, into: grads.bias!.mutableData)
        }
    }
}

extension LayerNorm {
    /// Forward that saves the row statistics for `backward`; x and y must not alias.
    public func forwardTraining(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                                mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        layerNormTraining(x, y, mean: mean, rstd: rstd, rows: rows, columns: size, gamma: weight.data, beta: bias.data, eps: eps)
    }

    /// dx += ∂L/∂x, and dγ, dβ += into `grads` (same shapes as self).
    public func backward(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         rows: Int, accumulatingInto dx: UnsafeMutablePointer<Float>, grads: inout LayerNorm) {
        layerNormBackward(dx: dx, dgamma: grads.weight.mutableData, dbeta: grads.bias.mutableData, dy: dy, x: x,
                          mean: mean, rstd: rstd, gamma: weight.data, rows: rows, columns: size)
    }

    /// dx += ∂L/∂x only: a frozen layer, whose γ and β get no gradient.
    public func backwardInput(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              rows: Int, accumulatingInto dx: UnsafeMutablePointer<Float>) {
        layerNormBackward(dx: dx, dgamma: nil, dbeta: nil, dy: dy, x: x, mean: mean, rstd: rstd,
                          gamma: weight.data, rows: rows, columns: size)
    }
}
