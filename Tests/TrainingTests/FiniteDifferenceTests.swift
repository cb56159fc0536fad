import Foundation
import Testing
import Tensor
import Layers
import TestSupport

/// Each new backward against central finite differences of a Double re-statement of its forward, on tiny odd
/// shapes. Objective L = Σ w ⊙ f(x) with random w, so the upstream gradient is w. h = 1e-5 in Double makes the
/// FD error ~1e-10; the tolerance 5e-5 absolute + 1e-4 relative covers our float32 arithmetic.
@Suite struct FiniteDifferenceTests {
    static let atol = 5e-5, rtol = 1e-4

    func random(_ n: Int, _ rng: inout SeededRNG, scale: Double = 1) -> [Double] { (0..<n).map { _ in rng.normal() * scale } }
    func tensor(_ v: [Double], _ shape: [Int]) -> Tensor { Tensor(shape: shape, values: v.map { Float($0) }) }

    /// Central differences of f at x, one coordinate at a time.
    func numeric(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
        (0..<x.count).map { i in
            var p = x, m = x
            p[i] += h; m[i] -= h
            return (f(p) - f(m)) / (2 * h)
        }
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    // y[n, o] = Σ_i x[n, i]·W[o, i] + b[o]   (W as (out, in); the Conv1D layout stores its transpose)
    func linearRef(_ x: [Double], _ w: [Double], _ b: [Double], n: Int, i: Int, o: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * o)
        for r in 0..<n { for k in 0..<o { y[r * o + k] = b[k] + (0..<i).reduce(0) { $0 + x[r * i + $1] * w[k * i + $1] } } }
        return y
    }

    func transpose(_ w: [Double], rows: Int, cols: Int) -> [Double] {
        (0..<(rows * cols)).map { idx in w[(idx % rows) * cols + idx / rows] }
    }

    @Test(arguments: [Linear.Layout.outIn, .inOut])
    func linear(_ layout: Linear.Layout) {
        var rng = SeededRNG(seed: 1)
        let n = 3, i = 5, o = 7
        let x = random(n * i, &rng), w = random(o * i, &rng), b = random(o, &rng), up = random(n * o, &rng)
        let stored = layout == .outIn ? w : transpose(w, rows: o, cols: i)   // (in, out) for Conv1D
        let layer = Linear(weight: tensor(stored, layout == .outIn ? [o, i] : [i, o]), bias: tensor(b, [o]), layout: layout)
        var grads = Linear(weight: Tensor(zeros: layer.weight.shape), bias: Tensor(zeros: [o]), layout: layout)
        let dy = tensor(up, [n, o]), xt = tensor(x, [n, i])
        var dx = Tensor(zeros: [n, i])
        layer.backwardInput(dy.data, rows: n, into: dx.mutableData)
        layer.accumulateGradients(dy.data, input: xt.data, rows: n, into: &grads)
        expectClose(dx.scalars, numeric(x) { dot(up, linearRef($0, w, b, n: n, i: i, o: o)) }, atol: Self.atol, rtol: Self.rtol, "dx")
        let dw = numeric(stored) { s in dot(up, linearRef(x, layout == .outIn ? s : transpose(s, rows: i, cols: o), b, n: n, i: i, o: o)) }
        expectClose(grads.weight.scalars, dw, atol: Self.atol, rtol: Self.rtol, "dW")
        expectClose(grads.bias!.scalars, numeric(b) { dot(up, linearRef(x, w, $0, n: n, i: i, o: o)) }, atol: Self.atol, rtol: Self.rtol, "db")
    }

    func layerNormRef(_ x: [Double], _ g: [Double], _ b: [Double], n: Int, c: Int) -> [Double] {
        var y = [Double](repeating: 0, count: n * c)
        for r in 0..<n {
            let row = Array(x[r * c..<(r + 1) * c]), m = row.reduce(0, +) / Double(c)
            let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c)
            for j in 0..<c { y[r * c + j] = (row[j] - m) / (v + 1e-5).squareRoot() * g[j] + b[j] }
        }
        return y
    }

    @Test func layerNorm() {
        var rng = SeededRNG(seed: 2)
        let n = 3, c = 11
        let x = random(n * c, &rng, scale: 2), g = random(c, &rng), b = random(c, &rng), up = random(n * c, &rng)
        let ln = LayerNorm(weight: tensor(g, [c]), bias: tensor(b, [c]), eps: 1e-5)
        var grads = LayerNorm(weight: Tensor(zeros: [c]), bias: Tensor(zeros: [c]), eps: 1e-5)
        let xt = tensor(x, [n, c]), dy = tensor(up, [n, c])
        var y = Tensor(zeros: [n, c]), mean = Tensor(zeros: [n]), rstd = Tensor(zeros: [n]), dx = Tensor(zeros: [n, c])
        ln.forwardTraining(xt.data, rows: n, into: y.mutableData, mean: mean.mutableData, rstd: rstd.mutableData)
        expectClose(y.scalars, layerNormRef(x, g, b, n: n, c: c), atol: 1e-5, "forward")
        ln.backward(dy.data, input: xt.data, mean: mean.data, rstd: rstd.data, rows: n, accumulatingInto: dx.mutableData, grads: &grads)
        expectClose(dx.scalars, numeric(x) { dot(up, layerNormRef($0, g, b, n: n, c: c)) }, atol: Self.atol, rtol: Self.rtol, "dx")
        expectClose(grads.weight.scalars, numeric(g) { dot(up, layerNormRef(x, $0, b, n: n, c: c)) }, atol: Self.atol, rtol: Self.rtol, "dγ")
        expectClose(grads.bias.scalars, numeric(b) { dot(up, layerNormRef(x, g, $0, n: n, c: c)) }, atol: Self.atol, rtol: Self.rtol, "dβ")
        // the frozen path gives the same dx, accumulated onto what is there
        var dx2 = Tensor(shape: [n, c], values: [Float](repeating: 1, count: n * c))
        ln.backwardInput(dy.data, input: xt.data, mean: mean.data, rstd: rstd.data, rows: n, accumulatingInto: dx2.mutableData)
        expectClose(dx2.scalars, dx.scalars.map { $0 + 1 }, atol: 1e-6, "frozen dx accumulates")
    }

    /// qkv rows [q | k | v], heads side by side; out (B·T, C).
    func attentionRef(_ qkv: [Double], b: Int, t: Int, nh: Int, c: Int, causal: Bool) -> [Double] {
        let hs = c / nh, scale = 1 / Double(hs).squareRoot()
        var out = [Double](repeating: 0, count: b * t * c)
        for bi in 0..<b { for h in 0..<nh { for i in 0..<t {
            let visible = causal ? i + 1 : t
            let q = (bi * t + i) * 3 * c + h * hs
            let s = (0..<visible).map { j in scale * (0..<hs).reduce(0) { $0 + qkv[q + $1] * qkv[(bi * t + j) * 3 * c + c + h * hs + $1] } }
            let m = s.max()!, e = s.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
            for d in 0..<hs {
                out[(bi * t + i) * c + h * hs + d] = (0..<visible).reduce(0) { $0 + e[$1] / z * qkv[(bi * t + $1) * 3 * c + 2 * c + h * hs + d] }
            }
        } } }
        return out
    }

    @Test(arguments: [true, false])
    func selfAttention(_ causal: Bool) {
        var rng = SeededRNG(seed: 3)
        let b = 2, t = 5, nh = 3, c = 9
        let qkv = random(b * t * 3 * c, &rng), up = random(b * t * c, &rng)
        let q = tensor(qkv, [b * t, 3 * c]), dout = tensor(up, [b * t, c])
        var out = Tensor(zeros: [b * t, c]), probs = Tensor(zeros: [b * nh * t * t]), dqkv = Tensor(zeros: [b * t, 3 * c])
        var scratch = Tensor(zeros: [attentionScratchCount(tokens: t)])
        selfAttentionTraining(qkv: q.data, out: out.mutableData, probs: probs.mutableData, batch: b, tokens: t, heads: nh, width: c, causal: causal)
        expectClose(out.scalars, attentionRef(qkv, b: b, t: t, nh: nh, c: c, causal: causal), atol: 1e-5, "forward")
        selfAttentionBackward(dout: dout.data, qkv: q.data, probs: probs.data, dqkv: dqkv.mutableData, scratch: scratch.mutableData,
                              batch: b, tokens: t, heads: nh, width: c)
        let fd = numeric(qkv) { dot(up, attentionRef($0, b: b, t: t, nh: nh, c: c, causal: causal)) }
        expectClose(dqkv.scalars, fd, atol: Self.atol, rtol: Self.rtol, "dqkv causal=\(causal)")
    }

    @Test(arguments: [Activation.geluNew, .tanh, .relu, .gelu, .quickGelu])
    func activation(_ act: Activation) {
        var rng = SeededRNG(seed: 4)
        let n = 21   // past one 8-wide SIMD block and a scalar tail
        // keep relu's inputs away from its kink at 0
        let x = random(n, &rng, scale: 2).map { act == .relu && abs($0) < 0.05 ? $0 + 0.1 : $0 }
        let up = random(n, &rng)
        func f(_ v: Double) -> Double {
            switch act {
            case .geluNew, .geluPytorchTanh: return 0.5 * v * (1 + Foundation.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
            case .tanh: return Foundation.tanh(v)
            case .relu: return max(v, 0)
            case .gelu: return 0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot()))
            case .quickGelu: return v / (1 + Foundation.exp(-1.702 * v))
            }
        }
        let pre = tensor(x, [n])
        var post = Tensor(zeros: [n]), g = tensor(up, [n])
        act.apply(pre.data, into: post.mutableData, count: n)
        act.backward(g.mutableData, pre: pre.data, post: post.data, count: n)
        expectClose(g.scalars, numeric(x) { dot(up, $0.map(f)) }, atol: Self.atol, rtol: Self.rtol, "\(act)")
    }

    @Test func softmaxCrossEntropy() {
        var rng = SeededRNG(seed: 5)
        let v = 37, target = 11, scale = 0.25
        let z = random(v, &rng, scale: 3)
        func ce(_ z: [Double]) -> Double {
            let m = z.max()!
            return scale * (Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) }) + m - z[target])
        }
        var row = tensor(z, [v])
        let loss = softmaxCrossEntropyRow(row.mutableData, count: v, target: target, scale: Float(scale))
        expectClose([loss * scale], [ce(z)], atol: 1e-6, "loss")
        expectClose(row.scalars, numeric(z, ce), atol: Self.atol, rtol: Self.rtol, "dlogits")
    }

    @Test func columnSums() {
        var rng = SeededRNG(seed: 6)
        let n = 4, c = 19
        let a = random(n * c, &rng)
        var out = Tensor(shape: [c], values: [Float](repeating: 1, count: c))
        let at = tensor(a, [n, c])
        accumulateColumnSums(at.data, rows: n, columns: c, into: out.mutableData)
        expectClose(out.scalars, (0..<c).map { j in 1 + (0..<n).reduce(0) { $0 + a[$1 * c + j] } }, atol: 1e-5, "column sums")
    }
}
