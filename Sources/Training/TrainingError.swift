import Foundation

/// Errors from training; each is one line naming the step, file or key at fault.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A NaN or ±Inf in the loss or a gradient. `step` is the 1-based number of the update that was refused
    /// (`trainer.step + 1`, the step whose loss a log would show); the parameters and optimizer state are unchanged.
    case nonFinite(step: Int, what: String)
    /// Inputs or targets that do not fit the model (shapes, empty captions, token ids, sequence length).
    case invalidInput(String)
    /// A configuration the trainer cannot run (missing transformer sizes, widths that disagree).
    case invalidConfig(String)
    /// A checkpoint or optimizer-state file that cannot be used; names the file and the tensor or key.
    case invalidState(file: String, reason: String)

    public var description: String {
        switch self {
        case let .nonFinite(step, what): return "step \(step): non-finite \(what); the update was not applied"
        case let .invalidInput(reason): return reason
        case let .invalidConfig(reason): return reason
        case let .invalidState(file, reason): return "\(file): \(reason)"
        }
    }
}
