import Foundation

/// Optimizer settings of one training run (DESIGN.md §5, §9 `train.*`).
public struct TrainerOptions: Codable, Equatable, Sendable {
    /// The peak learning rate (after warmup).
    public var learningRate: Float
    /// Linear warmup from 0 over this many updates.
    public var warmupSteps: Int
    /// T: the learning rate decays linearly to 0 at update T.
    public var totalSteps: Int
    /// Decoupled weight decay (AdamW), applied to every trained tensor.
    public var weightDecay: Float
    /// Clip the global gradient L2 norm to this value (torch.nn.utils.clip_grad_norm_); nil: no clipping.
    public var gradientClip: Float?

    public init(learningRate: Float, warmupSteps: Int, totalSteps: Int, weightDecay: Float = 0, gradientClip: Float? = nil) {
        self.learningRate = learningRate; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
        self.weightDecay = weightDecay; self.gradientClip = gradientClip
    }

    /// transformers' get_linear_schedule_with_warmup lr_lambda(step): step/warmup during warmup, then
    /// (T − step)/(T − warmup), floored at 0. Update t (0-based) uses multiplier(t), so the first update
    /// uses multiplier(0) (= 0 with warmup).
    public func multiplier(step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }

    /// The learning rate of update `step` (0-based), in Double as torch's param_groups hold it.
    public func learningRate(step: Int) -> Double { Double(learningRate) * multiplier(step: step) }

    func validate() throws {
        guard learningRate.isFinite, learningRate >= 0 else { throw TrainingError.invalidConfig("lr must be a finite number ≥ 0, got \(learningRate)") }
        guard warmupSteps >= 0 else { throw TrainingError.invalidConfig("warmup_steps must be ≥ 0, got \(warmupSteps)") }
        guard totalSteps >= 1 else { throw TrainingError.invalidConfig("the total step count must be ≥ 1, got \(totalSteps)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw TrainingError.invalidConfig("weight_decay must be ≥ 0, got \(weightDecay)") }
        if let c = gradientClip, !(c.isFinite && c > 0) { throw TrainingError.invalidConfig("the gradient clip must be > 0, got \(c)") }
    }
}
