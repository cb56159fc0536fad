import Foundation

// Kernels for training: forward variants that keep what backward needs, and the backward of each
// row-wise or elementwise kernel in Kernels.swift. llm.c conventions: a backward *accumulates* (+=)
// into parameter gradients; input gradients are accumulated where the doc comment says so.
// Legend: N rows, C columns (the feature axis).

/// Layer normalization that also saves each row's mean and 1/σ for the backward pass
/// (llm.c layernorm_forward). Same numerics as `layerNorm`: statistics in Double, the affine map in Float.
/// x, y: (N, C); mean, rstd: (N). `x` and `y` must not alias (backward needs x).
public func layerNormTraining(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                              rows: Int, columns c: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
    Parallel.forEachChunk(rows, costPerItem: c * 4) { range in
        for r in range {
            let xr = x + r * c, yr = y + r * c
            var sum = 0.0
            for j in 0..<c { sum += Double(xr[j]) }
            let m = sum / Double(c)
            var ss = 0.0
            for j in 0..<c { let d = Double(xr[j]) - m; ss += d * d }
            let s = Float(1 / (ss / Double(c) + Double(eps)).squareRoot()), mf = Float(m)
            mean[r] = mf; rstd[r] = s
            var j = 0
            let m8 = V8(repeating: mf), s8 = V8(repeating: s)
            while j + 8 <= c { store8((load8(xr + j) - m8) * s8 * load8(gamma + j) + load8(beta + j), yr + j); j += 8 }
            while j < c { yr[j] = (xr[j] - mf) * s * gamma[j] + beta[j]; j += 1 }
        }
    }
}

/// Backward of layer normalization (llm.c layernorm_backward), for y = x̂·γ + β with x̂ = (x − μ)·rstd:
///   dx += rstd · (dŷ − mean(dŷ) − x̂ · mean(dŷ ⊙ x̂)),  dŷ = γ ⊙ dy
///   dγ += Σ_rows dy ⊙ x̂,  dβ += Σ_rows dy     (only when `dgamma`/`dbeta` are given: frozen layers skip them)
/// dx, dy, x: (N, C). dx is accumulated into (the residual stream's gradient).
public func layerNormBackward(dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?,
                              dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              gamma: UnsafePointer<Float>, rows: Int, columns c: Int) {
    Parallel.forEachChunk(rows, costPerItem: c * 6) { range in
        for r in range {
            let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
            let m = mean[r], s = rstd[r]
            var sumD: Float = 0, sumDX: Float = 0
            for j in 0..<c {
                let xhat = (xr[j] - m) * s, d = gamma[j] * dyr[j]
                sumD += d; sumDX += d * xhat
            }
            let meanD = sumD / Float(c), meanDX = sumDX / Float(c)
            for j in 0..<c {
                let xhat = (xr[j] - m) * s
                dxr[j] += (gamma[j] * dyr[j] - meanD - xhat * meanDX) * s
            }
        }
    }
    guard let dgamma, let dbeta else { return }
    // parameter gradients: split the columns across cores so no two workers write the same element
    Parallel.forEachChunk(c, costPerItem: rows * 4) { cols in
        for r in 0..<rows {
            let xr = x + r * c, dyr = dy + r * c, m = mean[r], s = rstd[r]
            for j in cols {
                dgamma[j] += dyr[j] * (xr[j] - m) * s
                dbeta[j] += dyr[j]
            }
        }
    }
}

/// out[j] += Σ_r a[r, j] for a: (N, C): the bias gradient of a linear layer.
public func accumulateColumnSums(_ a: UnsafePointer<Float>, rows: Int, columns c: Int, into out: UnsafeMutablePointer<Float>) {
    Parallel.forEachChunk((c + 7) / 8, costPerItem: rows * 8) { chunk in
        let lo = chunk.lowerBound * 8, hi = min(c, chunk.upperBound * 8)
        var j = lo
        while j + 8 <= hi {
            var s = load8(out + j)
            for r in 0..<rows { s += load8(a + r * c + j) }
            store8(s, out + j); j += 8
        }
        while j < hi {
            var s = out[j]
            for r in 0..<rows { s += a[r * c + j] }
            out[j] = s; j += 1
        }
    }
}

extension Activation {
    /// Applies the activation from `pre` into `post` (both `count` elements, no aliasing), keeping the
    /// pre-activation for `backward`.
    public func apply(_ pre: UnsafePointer<Float>, into post: UnsafeMutablePointer<Float>, count: Int) {
        post.update(from: pre, count: count)
        apply(post, count: count)
    }

    /// In place: g ← g ⊙ f′, the gradient through the activation. `pre` is the activation's input and
    /// `post` its output (tanh and relu read the output, the GELUs the input).
    public func backward(_ g: UnsafeMutablePointer<Float>, pre: UnsafePointer<Float>, post: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk((count + 7) / 8, costPerItem: 64) { chunk in
            let lo = chunk.lowerBound * 8, hi = min(count, chunk.upperBound * 8)
            var i = lo
            switch self {
            case .geluNew, .geluPytorchTanh:
                // d/dx 0.5·x·(1 + tanh u), u = k(x + a x³): 0.5(1 + t) + 0.5·x·(1 − t²)·k(1 + 3a x²)
                let k: Float = 0.7978845608028654, a: Float = 0.044715
                while i + 8 <= hi {
                    let x = load8(pre + i)
                    let u: V8 = k * (x + a * x * x * x)
                    let t: V8 = 1 - 2 / (simdExp(2 * u) + 1)
                    let x2: V8 = x * x
                    let du: V8 = k * (1 + 3 * a * x2)
                    let sech2: V8 = 1 - t * t
                    let d: V8 = 0.5 * (1 + t) + 0.5 * x * sech2 * du
                    store8(load8(g + i) * d, g + i); i += 8
                }
                while i < hi {
                    let x = pre[i], t = Foundation.tanh(k * (x + a * x * x * x))
                    g[i] *= 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * a * x * x); i += 1
                }
            case .gelu:
                // d/dx x·Φ(x) = Φ(x) + x·φ(x)
                while i < hi {
                    let x = pre[i]
                    g[i] *= 0.5 * (1 + Foundation.erf(x * 0.7071067811865476)) + x * 0.3989422804014327 * Foundation.exp(-0.5 * x * x)
                    i += 1
                }
            case .quickGelu:
                // d/dx x·σ(1.702x) = σ + 1.702·x·σ(1 − σ)
                while i < hi {
                    let x = pre[i], s = 1 / (1 + Foundation.exp(-1.702 * x))
                    g[i] *= s + 1.702 * x * s * (1 - s); i += 1
                }
            case .relu:
                // torch's relu backward passes the gradient where the output is > 0
                while i + 8 <= hi { let y = load8(post + i); store8(load8(g + i).replacing(with: 0, where: y .<= 0), g + i); i += 8 }
                while i < hi { if post[i] <= 0 { g[i] = 0 }; i += 1 }
            case .tanh:
                while i + 8 <= hi { let y = load8(post + i); store8(load8(g + i) * (1 - y * y), g + i); i += 8 }
                while i < hi { g[i] *= 1 - post[i] * post[i]; i += 1 }
            }
        }
    }
}

/// Softmax cross-entropy of one row of logits against `target`, fused with its gradient:
/// returns −log softmax(z)[target] (in Double) and overwrites the row with scale·(softmax(z) − onehot(target)),
/// the gradient of scale·loss. Matches torch.nn.functional.cross_entropy for a single row.
@inline(__always)
public func softmaxCrossEntropyRow(_ z: UnsafeMutablePointer<Float>, count n: Int, target: Int, scale: Float) -> Double {
    var m8 = V8(repeating: -.infinity), j = 0
    while j + 8 <= n { let v = load8(z + j); m8.replace(with: v, where: v .> m8); j += 8 }
    var m = m8.max()
    while j < n { m = max(m, z[j]); j += 1 }
    let zt = z[target]
    // exp(z − m) stored in the row; the sum in Double (50k terms)
    var s8 = V8(); j = 0
    let mm = V8(repeating: m)
    var sum = 0.0
    while j + 8 <= n {
        let e = simdExp(load8(z + j) - mm); store8(e, z + j); s8 += e; j += 8
        if j & 1023 == 0 { sum += Double(s8.sum()); s8 = V8() }
    }
    sum += Double(s8.sum())
    while j < n { let e = Foundation.exp(z[j] - m); z[j] = e; sum += Double(e); j += 1 }
    let loss = Foundation.log(sum) - Double(zt - m)   // logsumexp(z) − z[target]
    let k = V8(repeating: Float(Double(scale) / sum)); j = 0
    while j + 8 <= n { store8(load8(z + j) * k, z + j); j += 8 }
    while j < n { z[j] *= k[0]; j += 1 }
    z[target] -= scale
    return loss
}
