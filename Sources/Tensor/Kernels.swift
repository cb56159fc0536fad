import Foundation

// Row-wise and elementwise kernels on contiguous Float32 buffers. Each works on raw pointers, allocates
// nothing, uses 8-wide SIMD, and splits rows across the cores when the work is large.
// Legend: N rows, C columns (the feature axis).

public typealias V8 = SIMD8<Float>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> V8 {
    UnsafeRawPointer(p).loadUnaligned(as: V8.self)
}
@inline(__always) func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
}

/// exp(x) on 8 lanes: Cody–Waite range reduction and a degree-6 polynomial (Cephes expf), relative
/// error below 2 ulp over the float range; underflows to 0 below −87.3 and saturates above 88.7.
@inline(__always)
public func simdExp(_ x0: V8) -> V8 {
    // clamp with compare+blend (the generic clamped() is not inlined)
    var x = x0
    x.replace(with: -87.33654, where: x .< -87.33654)
    x.replace(with: 88.72283, where: x .> 88.72283)
    // n = round(x·log2 e) with the 1.5·2^23 trick: adding it leaves n in the low mantissa bits
    let magic = V8(repeating: 12582912)
    let t = x * 1.44269504088896341 + magic
    let n = t - magic
    var r = x - n * 0.693359375
    r = r + n * 2.12194440e-4
    var p = V8(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let rr = r * r
    let y = p * rr + r + 1
    // 2^n from the exponent bits: (n + 127) << 23, with n read from t's low bits
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: V8.self)
    return y * scale
}

@inline(__always) func scalarLanes(_ f: (Float) -> Float, _ v: V8) -> V8 {
    var out = V8()
    for i in 0..<8 { out[i] = f(v[i]) }
    return out
}

/// Activations named as in HF configs (`hidden_act`).
public enum Activation: String, Codable, Sendable {
    case gelu            // exact: 0.5·x·(1 + erf(x/√2))
    case geluNew = "gelu_new"       // tanh approximation (GPT-2)
    case geluPytorchTanh = "gelu_pytorch_tanh"
    case quickGelu = "quick_gelu"   // x·σ(1.702·x) (OpenAI CLIP)
    case relu
    case tanh

    /// Applies the activation in place to `count` elements.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEachChunk((count + 7) / 8, costPerItem: 64) { chunk in
            let lo = chunk.lowerBound * 8, hi = min(count, chunk.upperBound * 8)
            var i = lo
            switch self {
            case .quickGelu:
                while i + 8 <= hi {
                    let v = load8(x + i)
                    store8(v / (1 + simdExp(-1.702 * v)), x + i); i += 8
                }
                while i < hi { x[i] = x[i] / (1 + Foundation.exp(-1.702 * x[i])); i += 1 }
            case .geluNew, .geluPytorchTanh:
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with tanh(u) = 1 − 2/(e^{2u} + 1)
                while i + 8 <= hi {
                    let v = load8(x + i)
                    let u = 0.7978845608028654 * (v + 0.044715 * v * v * v)
                    let t = 1 - 2 / (simdExp(2 * u) + 1)
                    store8(0.5 * v * (1 + t), x + i); i += 8
                }
                while i < hi {
                    let v = x[i]
                    x[i] = 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); i += 1
                }
            case .gelu:
                while i < hi { x[i] = 0.5 * x[i] * (1 + Foundation.erf(x[i] * 0.7071067811865476)); i += 1 }
            case .relu:
                while i + 8 <= hi { store8(load8(x + i).replacing(with: 0, where: load8(x + i) .< 0), x + i); i += 8 }
                while i < hi { x[i] = max(x[i], 0); i += 1 }
            case .tanh:
                while i < hi { x[i] = Foundation.tanh(x[i]); i += 1 }
            }
        }
    }
}

/// Layer normalization over the last axis: y = (x − mean)/√(var + eps)·γ + β, biased variance, as
/// torch.nn.LayerNorm. The statistics are accumulated in Double (two passes: mean, then the centered
/// sum of squares), so the only float32 rounding is in the final affine map. `x` and `y` may alias.
public func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, columns c: Int,
                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
    Parallel.forEachChunk(rows, costPerItem: c * 4) { range in
        for r in range {
            let xr = x + r * c, yr = y + r * c
            var acc = SIMD4<Double>(), j = 0
            while j + 4 <= c {
                acc += SIMD4<Double>(Double(xr[j]), Double(xr[j + 1]), Double(xr[j + 2]), Double(xr[j + 3])); j += 4
            }
            var sum = acc.sum()
            while j < c { sum += Double(xr[j]); j += 1 }
            let mean = sum / Double(c)
            var acc2 = SIMD4<Double>(); j = 0
            let md = SIMD4<Double>(repeating: mean)
            while j + 4 <= c {
                let d = SIMD4<Double>(Double(xr[j]), Double(xr[j + 1]), Double(xr[j + 2]), Double(xr[j + 3])) - md
                acc2 += d * d; j += 4
            }
            var ss = acc2.sum()
            while j < c { let d = Double(xr[j]) - mean; ss += d * d; j += 1 }
            let rstd = Float(1 / (ss / Double(c) + Double(eps)).squareRoot())
            let meanF = Float(mean)
            j = 0
            let m8 = V8(repeating: meanF), s8 = V8(repeating: rstd)
            while j + 8 <= c { store8((load8(xr + j) - m8) * s8 * load8(gamma + j) + load8(beta + j), yr + j); j += 8 }
            while j < c { yr[j] = (xr[j] - meanF) * rstd * gamma[j] + beta[j]; j += 1 }
        }
    }
}

/// In-place softmax of one row of `n` values, max-subtracted.
@inline(__always)
public func softmaxRow(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    var m8 = V8(repeating: -.infinity), j = 0
    while j + 8 <= n { let v = load8(p + j); m8.replace(with: v, where: v .> m8); j += 8 }
    var m = m8.max()
    while j < n { m = max(m, p[j]); j += 1 }
    if m == -.infinity { m = 0 }
    var s8 = V8(); j = 0
    let mm = V8(repeating: m)
    while j + 8 <= n { let e = simdExp(load8(p + j) - mm); store8(e, p + j); s8 += e; j += 8 }
    var s = s8.sum()
    while j < n { let e = Foundation.exp(p[j] - m); p[j] = e; s += e; j += 1 }
    let inv = V8(repeating: 1 / s); j = 0
    while j + 8 <= n { store8(load8(p + j) * inv, p + j); j += 8 }
    while j < n { p[j] *= inv[0]; j += 1 }
}

/// y[i] += x[i] for `count` elements (residual connections).
public func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    Parallel.forEachChunk((count + 7) / 8, costPerItem: 8) { chunk in
        let lo = chunk.lowerBound * 8, hi = min(count, chunk.upperBound * 8)
        var i = lo
        while i + 8 <= hi { store8(load8(y + i) + load8(x + i), y + i); i += 8 }
        while i < hi { y[i] += x[i]; i += 1 }
    }
}

/// Broadcasts a bias row of `c` values into every one of `rows` rows of `y` (before a beta = 1 GEMM).
public func fillRows(_ y: UnsafeMutablePointer<Float>, rows: Int, columns c: Int, with bias: UnsafePointer<Float>) {
    for r in 0..<rows { (y + r * c).update(from: bias, count: c) }
}
