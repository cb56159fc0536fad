import Foundation
import Tensor
import Models
import Training
import TestSupport

/// Tests/Fixtures/training (gen_training.py): a tiny GPT-2 folder, the two initial mappers as ClipCap
/// checkpoint folders, and reference.safetensors with PyTorch's float64 loss, gradients and AdamW losses.
enum TrainingFixture {
    static let folder = fixturesDirectory.appendingPathComponent("training")
    static let gpt2Folder = folder.appendingPathComponent("gpt2")
    static let prefixSize = 13, prefixLength = 3, clipLength = 5, eos = 66

    static func reference() throws -> SafeTensorsFile {
        try SafeTensorsFile(path: folder.appendingPathComponent("reference.safetensors").path)
    }

    /// The reference batch: clip (3, 13) and the captions (EOS included), unpadded.
    static func batch() throws -> (Tensor, [[Int]]) {
        let ref = try reference()
        let (shape, flat) = try ref.integers("targets")
        let targets = (0..<shape[0]).map { r in Array(flat[r * shape[1]..<(r + 1) * shape[1]].prefix { $0 >= 0 }) }
        return (try ref.tensor("clip"), targets)
    }

    static func config(_ mapper: MapperType, _ mode: GPT2Mode) -> ClipCapConfig {
        ClipCapConfig(mapper: mapper, prefixSize: prefixSize, prefixLength: prefixLength,
                      clipLength: mapper == .transformer ? clipLength : nil, numLayers: mapper == .transformer ? 2 : nil,
                      normalizePrefix: false, gpt2Mode: mode, gpt2: gpt2Folder.path, stop: .eos)
    }

    /// The reference case name, e.g. "transformer_frozen".
    static func name(_ mapper: MapperType, _ mode: GPT2Mode) -> String { "\(mapper.rawValue)_\(mode.rawValue)" }

    /// AdamW options of a case, as gen_training.py's OPTIONS: [lr, warmup, total, weight_decay, clip|null].
    static func options(_ mapper: MapperType, _ mode: GPT2Mode) throws -> TrainerOptions {
        let json = try reference().metadata[name(mapper, mode)] ?? "[]"
        let a = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [Any]
        return TrainerOptions(learningRate: Float(a[0] as! Double), warmupSteps: a[1] as! Int, totalSteps: a[2] as! Int,
                              weightDecay: Float(a[3] as! Double), gradientClip: (a[4] as? Double).map(Float.init))
    }

    static func trainer(_ mapper: MapperType, _ mode: GPT2Mode, options: TrainerOptions? = nil) throws -> ClipCapTrainer {
        try ClipCapTrainer(config: config(mapper, mode), gpt2Folder: gpt2Folder,
                           mapperInit: .checkpoint(folder.appendingPathComponent(mapper.rawValue)),
                           options: options ?? TrainerOptions(learningRate: 1e-3, warmupSteps: 0, totalSteps: 10))
    }

    static let cases: [(MapperType, GPT2Mode)] = [(.mlp, .finetune), (.mlp, .frozen), (.transformer, .finetune), (.transformer, .frozen)]

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
