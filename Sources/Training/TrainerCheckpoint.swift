import Foundation
import Tensor
import Models

// Saving what a trainer holds: the ClipCap checkpoint folder (DESIGN.md §3) and the optimizer state.

extension ClipCapTrainer {
    /// Writes `folder/model.safetensors` with the OFFICIAL ClipCap names (`clip_project.*`; plus
    /// `gpt.transformer.*` and the tied `gpt.lm_head.weight` when fine-tuning) and `folder/clipcap.json`
    /// (`config`), atomically: both go into a temporary folder beside `folder`, which is then renamed over it.
    /// `config` must describe this trainer's architecture; it is what ClipCapModel(folder:) will check.
    public func saveCheckpoint(to folder: URL, config saved: ClipCapConfig) throws {
        let mine = config
        let checks: [(String, String, String)] = [
            ("mapper", saved.mapper.rawValue, mine.mapper.rawValue),
            ("prefix_size", "\(saved.prefixSize)", "\(mine.prefixSize)"),
            ("prefix_length", "\(saved.prefixLength)", "\(mine.prefixLength)"),
            ("gpt2_mode", saved.gpt2Mode.rawValue, mine.gpt2Mode.rawValue),
        ] + (mine.mapper == .transformer ? [
            ("clip_length", "\(saved.clipLength ?? -1)", "\(mine.clipLength ?? -1)"),
            ("num_layers", "\(saved.numLayers ?? -1)", "\(mine.numLayers ?? -1)"),
        ] : [])
        for (key, said, have) in checks where said != have {
            throw TrainingError.invalidConfig("clipcap.json for \(folder.path): \(key) is \(said) but the trained model has \(have)")
        }
        var tensors: [String: Tensor] = [:]
        visitParameters { name, shape, p in tensors[name] = Tensor(copying: p, shape: shape) }
        if let wte = tensors["gpt.transformer.wte.weight"] { tensors["gpt.lm_head.weight"] = wte }

        try AtomicWrite.writeDirectory(at: folder) { tmp in
            try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: tmp.appendingPathComponent("model.safetensors"))
            try saved.write(to: tmp.appendingPathComponent("clipcap.json"))
        }
    }
}

extension AdamWTrainer {
    /// The optimizer state as safetensors: `adamw.m.NAME` and `adamw.v.NAME` for every trained tensor, and the
    /// step in the metadata.
    func writeOptimizerState(to file: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (i, name) in adam.names.enumerated() {
            tensors["adamw.m." + name] = adam.m[i]
            tensors["adamw.v." + name] = adam.v[i]
        }
        try SafeTensorsWriter.write(tensors, metadata: ["step": "\(step)", "adamw_step": "\(adam.t)"], to: file)
    }

    /// Restores a `writeOptimizerState` file exactly: every moment and the step, so a run resumed from weights
    /// saved at the same step continues bit for bit. Every tensor must be present with its shape, and the
    /// file must hold no tensor this trainer does not train.
    func readOptimizerState(from file: URL) throws {
        let f = try SafeTensorsFile(path: file.path)
        guard let s = f.metadata["step"].flatMap(Int.init), s >= 0, let t = f.metadata["adamw_step"].flatMap(Int.init), t >= 0 else {
            throw TrainingError.invalidState(file: file.path, reason: "no step in the metadata (not an optimizer state file)")
        }
        var m = adam.m, v = adam.v
        for (i, name) in adam.names.enumerated() {
            m[i] = try f.tensor("adamw.m." + name, shape: adam.m[i].shape)
            v[i] = try f.tensor("adamw.v." + name, shape: adam.v[i].shape)
        }
        let expected = Set(adam.names.flatMap { ["adamw.m." + $0, "adamw.v." + $0] })
        if let extra = f.names.first(where: { !expected.contains($0) }) {
            throw TrainingError.invalidState(file: file.path, reason: "tensor '\(extra)' is not trained here (the state of another model or mode?)")
        }
        // own the memory: the file's mapping goes away with `f`
        adam.m = m.map { Tensor(copying: $0.data, shape: $0.shape) }
        adam.v = v.map { Tensor(copying: $0.data, shape: $0.shape) }
        adam.t = t
        step = s
    }
}

/// A trainer whose optimizer state can be saved and restored, so a run can stop and continue.
public protocol ResumableTrainer: AnyObject {
    /// Optimizer steps taken so far.
    var step: Int { get }
    /// Writes the AdamW moments and the step to `file`.
    func saveState(to file: URL) throws
    /// Restores what `saveState` wrote (the step included) into a trainer built on the same weights.
    func loadState(from file: URL) throws
}

// The optimizer state of each trainer (`writeOptimizerState` / `readOptimizerState`). Written atomically by
// the callers, which stage it beside the weights.
extension ClipCapTrainer: ResumableTrainer {
    public func saveState(to file: URL) throws { try writeOptimizerState(to: file) }
    public func loadState(from file: URL) throws { try readOptimizerState(from: file) }
}

extension CLIPTrainer: ResumableTrainer {
    public func saveState(to file: URL) throws { try writeOptimizerState(to: file) }
    public func loadState(from file: URL) throws { try readOptimizerState(from: file) }
}

extension GPT2LanguageModelTrainer: ResumableTrainer {
    public func saveState(to file: URL) throws { try writeOptimizerState(to: file) }
    public func loadState(from file: URL) throws { try readOptimizerState(from: file) }
}

extension Tensor {
    /// A tensor owning a copy of `count(shape)` floats at `p`.
    init(copying p: UnsafePointer<Float>, shape: [Int]) {
        self.init(uninitialized: shape)
        mutableData.update(from: p, count: count)
    }
}
