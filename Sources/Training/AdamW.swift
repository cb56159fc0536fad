import Foundation
import Models
import Tensor

/// AdamW with decoupled weight decay, matching torch.optim.AdamW (single-tensor path, amsgrad off):
///   p ← p·(1 − lr·λ);  m ← m + (1 − β1)(g − m);  v ← β2·v + (1 − β2)·g²
///   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
/// One moment pair per trained tensor, in the models' visiting order, named by checkpoint name.
struct AdamW {
    static let beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-6
    var names: [String]
    var m: [Tensor], v: [Tensor]
    /// Updates taken (torch's state["step"]).
    var t = 0

    init(slots: [ParameterSlot]) {
        names = slots.map(\.name)
        m = slots.map { Tensor(zeros: $0.shape) }
        v = slots.map { Tensor(zeros: $0.shape) }
    }

    /// One update of every slot from its gradient; each gradient is zeroed as it is consumed (the next
    /// backward accumulates into zeros, so no separate zeroing pass is needed).
    mutating func update(parameters: [ParameterSlot], gradients: [ParameterSlot], learningRate lr: Double, weightDecay wd: Float) {
        t += 1
        let decay = Float(1 - lr * Double(wd))
        let bc1 = 1 - Foundation.pow(Double(Self.beta1), Double(t)), bc2 = 1 - Foundation.pow(Double(Self.beta2), Double(t))
        let stepSize = Float(lr / bc1), bc2Sqrt = Float(bc2.squareRoot())
        for i in parameters.indices {
            let p = parameters[i].values, g = gradients[i].values, count = parameters[i].count
            let mp = m[i].mutableData, vp = v[i].mutableData
            Parallel.forEachChunk((count + 7) / 8, costPerItem: 64) { chunk in
                let lo = chunk.lowerBound * 8, hi = min(count, chunk.upperBound * 8)
                var j = lo
                let b1 = V8(repeating: 1 - Self.beta1), b2 = V8(repeating: Self.beta2), ob2 = V8(repeating: 1 - Self.beta2)
                let dec = V8(repeating: decay), ss = V8(repeating: stepSize), bs = V8(repeating: bc2Sqrt), e = V8(repeating: Self.eps)
                while j + 8 <= hi {
                    let gv = loadV8(g + j), m0 = loadV8(mp + j)
                    let mv = m0 + b1 * (gv - m0)
                    let vv = loadV8(vp + j) * b2 + ob2 * gv * gv
                    let denom = vv.squareRoot() / bs + e
                    storeV8(loadV8(p + j) * dec - ss * (mv / denom), p + j)
                    storeV8(mv, mp + j); storeV8(vv, vp + j); storeV8(V8(), g + j)
                    j += 8
                }
                while j < hi {
                    let gv = g[j]
                    let mv = mp[j] + (1 - Self.beta1) * (gv - mp[j])
                    let vv = vp[j] * Self.beta2 + (1 - Self.beta2) * gv * gv
                    p[j] = p[j] * decay - stepSize * (mv / (vv.squareRoot() / bc2Sqrt + Self.eps))
                    mp[j] = mv; vp[j] = vv; g[j] = 0
                    j += 1
                }
            }
        }
    }
}

@inline(__always) func loadV8(_ p: UnsafeMutablePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
@inline(__always) func storeV8(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }

/// One named tensor as a visitor reported it (see Models.ParameterVisitor).
struct ParameterSlot {
    let name: String
    let shape: [Int]
    let values: UnsafeMutablePointer<Float>
    var count: Int { shape.reduce(1, *) }
}

/// A trainer's tensors and their gradients, visited under the same checkpoint names and order; the
/// optimizer, the gradient checks and the savers read them as slots.
public protocol TrainedParameters: AnyObject {
    func visitParameters(_ body: ParameterVisitor) rethrows
    func visitGradients(_ body: ParameterVisitor) rethrows
}

extension TrainedParameters {
    func parameterSlots() -> [ParameterSlot] {
        var slots: [ParameterSlot] = []
        visitParameters { slots.append(ParameterSlot(name: $0, shape: $1, values: $2)) }
        return slots
    }

    func gradientSlots() -> [ParameterSlot] {
        var slots: [ParameterSlot] = []
        visitGradients { slots.append(ParameterSlot(name: $0, shape: $1, values: $2)) }
        return slots
    }
}

/// A trainer that updates its parameters with AdamW from the gradients it accumulated: the ClipCap, CLIP and
/// GPT-2 language-model trainers share their optimizer step through it.
protocol AdamWTrainer: TrainedParameters {
    var options: TrainerOptions { get }
    var step: Int { get set }
    var adam: AdamW { get set }
    var gradientsAreZero: Bool { get set }
}

extension AdamWTrainer {
    /// The update after the gradients of a batch whose loss is `loss`: throws TrainingError.nonFinite(step:what:)
    /// without updating when the loss or any gradient is NaN or ±Inf, clips the global norm when the options
    /// say so, then takes one AdamW step at the schedule's learning rate. Returns the loss and that rate.
    func applyGradients(loss: Double) throws -> (loss: Float, learningRate: Float) {
        let g = gradientSlots()
        try checkFiniteAndClip(loss: loss, gradients: g, step: step + 1, maxNorm: options.gradientClip)
        let lr = options.learningRate(step: step)
        adam.update(parameters: parameterSlots(), gradients: g, learningRate: lr, weightDecay: options.weightDecay)
        gradientsAreZero = true
        step += 1
        return (Float(loss), Float(lr))
    }
}
