import Foundation
import Testing
import Tensor
import TestSupport

/// Kernels against torch (Tests/Fixtures/kernels.safetensors, from gen_models.py).
@Suite struct KernelTests {
    let file: SafeTensorsFile
    init() throws { file = try SafeTensorsFile(path: fixturesDirectory.appendingPathComponent("kernels.safetensors").path) }

    func activation(_ act: Activation, _ key: String, atol: Double) throws {
        var x = try file.tensor("x")
        act.apply(x.mutableData, count: x.count)
        expectClose(x.scalars, try file.tensor(key).scalars, atol: atol, rtol: 1e-6, key)
    }

    // Float32 SIMD approximations stay within a few ulp of torch for |y| up to 30.
    @Test func geluTanh() throws { try activation(.geluNew, "gelu_tanh", atol: 1e-6) }
    @Test func geluExact() throws { try activation(.gelu, "gelu", atol: 1e-6) }
    @Test func quickGelu() throws { try activation(.quickGelu, "quick_gelu", atol: 1e-6) }
    @Test func relu() throws { try activation(.relu, "relu", atol: 0) }

    @Test func exp() throws {
        let x = try file.tensor("exp_in").scalars
        var out = [Float](repeating: 0, count: x.count)
        var i = 0
        while i + 8 <= x.count {
            let v = simdExp(V8(x[i..<(i + 8)]))
            for j in 0..<8 { out[i + j] = v[j] }
            i += 8
        }
        while i < x.count { out[i] = Foundation.exp(x[i]); i += 1 }
        // relative 2 ulp over the whole float range
        expectClose(out, try file.tensor("exp").scalars, atol: 0, rtol: 2.5e-7, "exp")
    }

    @Test func layerNormMatchesTorch() throws {
        let rows = try file.tensor("rows"), g = try file.tensor("gamma"), b = try file.tensor("beta")
        var y = Tensor(zeros: rows.shape)
        layerNorm(rows.data, y.mutableData, rows: 7, columns: 53, gamma: g.data, beta: b.data, eps: 1e-5)
        expectClose(y.scalars, try file.tensor("layer_norm").scalars, atol: 2e-6, "layer_norm")
    }

    @Test func softmaxMatchesTorch() throws {
        var rows = try file.tensor("rows")
        for r in 0..<7 { softmaxRow(rows.mutableData + r * 53, 53) }
        expectClose(rows.scalars, try file.tensor("softmax").scalars, atol: 1e-7, rtol: 1e-6, "softmax")
    }

    @Test func gemmAgainstNaiveLoop() {
        var rng = SeededRNG(seed: 5)
        let m = 13, n = 7, k = 11
        let a = Tensor.randomNormal([k, m], std: 1, rng: &rng)   // stored transposed
        let b = Tensor.randomNormal([n, k], std: 1, rng: &rng)   // stored transposed
        var c = Tensor(zeros: [m, n])
        gemm(transA: true, transB: true, m: m, n: n, k: k, a: a.data, lda: m, b: b.data, ldb: k, c: c.mutableData, ldc: n)
        var ref = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { ref[i * n + j] += Double(a[flat: p * m + i]) * Double(b[flat: j * k + p]) } } }
        expectClose(c.scalars, ref, atol: 1e-5, "gemm")
    }

    @Test func seededRNGIsReproducible() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let xs = (0..<10).map { _ in a.next() }, ys = (0..<10).map { _ in b.next() }, zs = (0..<10).map { _ in c.next() }
        #expect(xs == ys)
        #expect(xs != zs)
        var r = SeededRNG(seed: 1)
        let normals = (0..<20000).map { _ in r.normal() }
        let mean = normals.reduce(0, +) / 20000, variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }

    @Test func copyOnWrite() {
        let a = Tensor(shape: [3], values: [1, 2, 3])
        var b = a
        b[flat: 0] = 9
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [9, 2, 3])
    }
}
