import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Testing
import TestSupport
import Training
@testable import Experiments

/// The error line a manifest text gives, or a marker when it parses.
func manifestError(_ yaml: String, overrides: [String] = []) -> String {
    do {
        _ = try Manifest(yaml: yaml, file: "m.yaml", overrides: overrides)
        return "(parsed)"
    } catch {
        return "\(error)"
    }
}

/// Every key of DESIGN.md §9 with a value other than its default.
let everyKeyYAML = """
    name: every-key
    seed: 7
    data:
      dataset: d/captions.csv
      images: d/images
      train_split: [train]
      eval_split: val
    embeddings:
      train: e/train.safetensors
      eval_image: e/image.safetensors
      eval_text: e/text.safetensors
    model:
      clip: m/clip
      gpt2: m/gpt2
      mapper: mlp
      prefix_length: 12
      clip_length: 6
      num_layers: 4
      gpt2_mode: finetune
      init: ckpt/start
    train:
      modality: image
      pairing: same
      normalize_prefix: false
      noise_variance: 0.016
      batch_size: 32
      epochs: 3
      max_steps: 900
      lr: 1.0e-4
      warmup_steps: 50
      weight_decay: 0.01
      max_caption_tokens: 30
      shuffle: false
      save_every: 100
    decode:
      strategy: sample
      beam_size: 3
      max_length: 20
      stop: period
      start: "a photo of"
      align: sinkhorn
      temperature: 0.7
      top_p: 0.9
    evaluate:
      metrics: [bleu, CIDEr, spice]
    gap:
      stats: false
      align: [memory, sinkhorn]
      mixup: {lambdas: [0.25, 0.75], text_choice: mean}
    """

struct ManifestDefaultsTests {
    @Test func onlyNameGivesEveryDefault() throws {
        let m = try Manifest(yaml: "name: run1\n")
        #expect(m == Manifest(name: "run1"))
        #expect(m.seed == 0)
        #expect(m.data.dataset == "data/coco/dataset_coco.json" && m.data.images == "data/coco/images")
        #expect(m.data.trainSplit == ["train", "restval"] && m.data.evalSplit == "test")
        #expect(m.embeddings.train == nil && m.embeddings.evalImage == nil && m.embeddings.evalText == nil)
        #expect(m.model.clip == "models/clip-vit-base-patch32" && m.model.gpt2 == "models/gpt2")
        #expect(m.model.mapper == .transformer && m.model.prefixLength == 10 && m.model.clipLength == 10)
        #expect(m.model.numLayers == 8 && m.model.gpt2Mode == .frozen && m.model.initCheckpoint == nil)
        #expect(m.train.modality == .text && m.train.pairing == .paraphrase && m.train.normalizePrefix)
        #expect(m.train.noiseVariance == 0 && m.train.batchSize == 40 && m.train.epochs == 10 && m.train.maxSteps == nil)
        #expect(m.train.lr == 2.0e-5 && m.train.warmupSteps == 5000 && m.train.weightDecay == 0)
        #expect(m.train.maxCaptionTokens == 40 && m.train.shuffle && m.train.saveEvery == 1000)
        #expect(m.decode.strategy == .beam && m.decode.beamSize == 5 && m.decode.maxLength == 67)
        #expect(m.decode.stop == .eos && m.decode.start == "" && m.decode.align == nil)
        #expect(m.decode.temperature == 1 && m.decode.topP == 1)
        #expect(m.evaluate.metrics == [.bleu, .meteor, .rougeL, .cider])
        #expect(m.gap.stats && m.gap.align == [.mean, .rotation, .ot])
        #expect(m.gap.mixup.lambdas == [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
        #expect(m.gap.mixup.textChoice == .first)
    }

    @Test func emptySectionsAndNullValuesMeanDefaults() throws {
        let m = try Manifest(yaml: "name: run1\ntrain:\ndecode:\n  beam_size:\n  align: none\n")
        #expect(m == Manifest(name: "run1"))
    }

    @Test func singleNamesAreOneElementLists() throws {
        let m = try Manifest(yaml: "name: a\ndata:\n  train_split: train\ngap:\n  align: ot\nevaluate:\n  metrics: cider\n")
        #expect(m.data.trainSplit == ["train"] && m.gap.align == [.ot] && m.evaluate.metrics == [.cider])
    }

    @Test func everyKeyIsRead() throws {
        let m = try Manifest(yaml: everyKeyYAML)
        var e = Manifest(name: "every-key")
        e.seed = 7
        e.data.dataset = "d/captions.csv"; e.data.images = "d/images"; e.data.trainSplit = ["train"]; e.data.evalSplit = "val"
        e.embeddings.train = "e/train.safetensors"; e.embeddings.evalImage = "e/image.safetensors"
        e.embeddings.evalText = "e/text.safetensors"
        e.model.clip = "m/clip"; e.model.gpt2 = "m/gpt2"; e.model.mapper = .mlp; e.model.prefixLength = 12
        e.model.clipLength = 6; e.model.numLayers = 4; e.model.gpt2Mode = .finetune; e.model.initCheckpoint = "ckpt/start"
        e.train.modality = .image; e.train.pairing = .same; e.train.normalizePrefix = false; e.train.noiseVariance = 0.016
        e.train.batchSize = 32; e.train.epochs = 3; e.train.maxSteps = 900; e.train.lr = 1e-4; e.train.warmupSteps = 50
        e.train.weightDecay = 0.01; e.train.maxCaptionTokens = 30; e.train.shuffle = false; e.train.saveEvery = 100
        e.decode.strategy = .sample; e.decode.beamSize = 3; e.decode.maxLength = 20; e.decode.stop = .period
        e.decode.start = "a photo of"; e.decode.align = .sinkhorn; e.decode.temperature = 0.7; e.decode.topP = 0.9
        e.evaluate.metrics = [.bleu, .cider, .spice]
        e.gap.stats = false; e.gap.align = [.memory, .sinkhorn]; e.gap.mixup.lambdas = [0.25, 0.75]; e.gap.mixup.textChoice = .mean
        #expect(m == e)
        #expect(m.decodingStrategy == .sample(temperature: 0.7, topP: 0.9, seed: 7))
        #expect(m.trainingDataOptions == TrainingDataOptions(pairing: .same, normalizePrefix: false, noiseVariance: 0.016,
            batchSize: 32, epochs: 3, maxSteps: 900, maxCaptionTokens: 30, shuffle: false, seed: 7))
    }

    @Test func decodingStrategies() throws {
        #expect(try Manifest(yaml: "name: a").decodingStrategy == .beam(width: 5))
        #expect(try Manifest(yaml: "name: a\ndecode: {strategy: greedy}").decodingStrategy == .greedy)
        #expect(try Manifest(yaml: "name: a\ndecode: {strategy: beam, beam_size: 2}").decodingStrategy == .beam(width: 2))
    }
}

struct ManifestResolvedTests {
    @Test func resolvedYAMLReparsesToTheSameManifest() throws {
        for text in ["name: defaults", everyKeyYAML] {
            let m = try Manifest(yaml: text)
            let resolved = try m.resolvedYAML()
            #expect(try Manifest(yaml: resolved, file: "resolved.yaml") == m)
        }
    }

    @Test func resolvedYAMLWritesEveryKeyWithItsDefault() throws {
        let lines = Set(try Manifest(name: "d").resolvedYAML().split(separator: "\n").map(String.init))
        for line in ["name: d", "seed: 0", "  train_split: [train, restval]", "  eval_image: null", "  init: null",
                     "  mapper: transformer", "  max_steps: null", "  lr: 2.0e-05", "  noise_variance: 0.0",
                     "  warmup_steps: 5000", "  align: none", "  start: ''", "  top_p: 1.0",
                     "  metrics: [BLEU, METEOR, ROUGE_L, CIDEr]", "  align: [mean, rotation, ot]",
                     "    lambdas: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]", "    text_choice: first"] {
            #expect(lines.contains(line), "missing line \(line)")
        }
        // Every schema key appears once per section: count the keys written.
        let keyLines = lines.filter { !$0.hasPrefix("#") && $0.contains(":") }
        let schemaKeys = Manifest.schema.values.reduce(0) { $0 + $1.count }
        #expect(try Manifest(name: "d").resolvedYAML().split(separator: "\n").filter { !$0.hasPrefix("#") }.count == schemaKeys)
        #expect(keyLines.count <= schemaKeys)
    }

    @Test func resolvedNumbersReadAsFloatsInYAML11() throws {
        #expect(ManifestNumber.text(2e-5) == "2.0e-05")
        #expect(ManifestNumber.text(1e16) == "1.0e+16")
        #expect(ManifestNumber.text(5000) == "5000.0")
        #expect(ManifestNumber.text(0.016) == "0.016")
        #expect(ManifestNumber.text(-0.5) == "-0.5")
    }
}

struct ManifestHashTests {
    @Test func hashIgnoresSpellingAndCountsDefaults() throws {
        let a = try Manifest(yaml: "name: a\ntrain:\n  lr: 2.0e-5\n  batch_size: 40\n")
        let b = try Manifest(yaml: "name: a\ntrain: {batch_size: 40, lr: 0.00002}\nseed: 0\n")
        let c = try Manifest(yaml: "name: a\n")
        for keys in [["train"], ["model", "train"], ["seed", "data", "embeddings", "model", "train", "decode", "evaluate", "gap"]] {
            let h = try a.contentHash(of: keys)
            #expect(h.count == 64)
            #expect(try b.contentHash(of: keys) == h)
            #expect(try c.contentHash(of: keys) == h)
        }
        #expect(try a.contentHash(of: ["train", "model"]) == a.contentHash(of: ["model", "train", "model"]))
    }

    @Test func hashChangesWithTheHashedKeysOnly() throws {
        let base = try Manifest(yaml: "name: a")
        let lr = try Manifest(yaml: "name: a", overrides: ["train.lr=1e-4"])
        #expect(try base.contentHash(of: ["train"]) != lr.contentHash(of: ["train"]))
        #expect(try base.contentHash(of: ["train.lr"]) != lr.contentHash(of: ["train.lr"]))
        #expect(try base.contentHash(of: ["model"]) == lr.contentHash(of: ["model"]))
        #expect(try base.contentHash(of: ["train.batch_size"]) == lr.contentHash(of: ["train.batch_size"]))
        // The name is not part of any section: renaming a run keeps its hashes.
        #expect(try base.contentHash(of: ["train"]) == Manifest(yaml: "name: b").contentHash(of: ["train"]))
        let started = try Manifest(yaml: "name: a", overrides: ["model.init=ckpt"])
        #expect(try base.contentHash(of: ["model"]) != started.contentHash(of: ["model"]))
    }

    @Test func hashIsPinned() throws {
        // The canonical text is `path=JSON` lines; pinning the digest catches any change of that format.
        let m = try Manifest(yaml: "name: a")
        let text = #"model.gpt2="models/gpt2""# + "\n" + #"train.lr="2.0e-05""# + "\n"
        #expect(try m.contentHash(of: ["train.lr", "model.gpt2"]) == SHA256.hex(text.utf8))
        #expect(try m.contentHash(of: ["seed"]) == SHA256.hex("seed=0\n".utf8))
    }

    @Test func unknownHashKeyIsAnError() throws {
        #expect(throws: ManifestError.unknownHashKey("train.speed")) { try Manifest(name: "a").contentHash(of: ["train.speed"]) }
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256KnownVectors(message: String, digest: String) {
        #expect(SHA256.hex(message.utf8) == digest)
    }
}

struct ManifestOverrideTests {
    @Test func overridesSetValuesAndLaterOnesWin() throws {
        let m = try Manifest(yaml: "name: a\ntrain:\n  lr: 0.1\n", overrides: [
            "train.lr=1e-4", "gap.mixup.lambdas=[0,0.5,1]", "decode.align=ot", "train.max_steps=100",
            "train.max_steps=200", "embeddings.train=x.safetensors", "decode.start=a photo of", "seed=3",
            "gap.mixup={text_choice: random}",
        ])
        #expect(m.train.lr == 1e-4)
        #expect(m.gap.mixup.lambdas == Manifest.MixupSettings().lambdas)   // the whole mixup section was replaced
        #expect(m.gap.mixup.textChoice == .random)
        #expect(m.decode.align == .ot && m.train.maxSteps == 200 && m.embeddings.train == "x.safetensors")
        #expect(m.decode.start == "a photo of" && m.seed == 3)
        let lambdas = try Manifest(yaml: "name: a", overrides: ["gap.mixup.lambdas=[0,0.5,1]"])
        #expect(lambdas.gap.mixup.lambdas == [0, 0.5, 1])
    }

    @Test func overrideToNullRestoresTheDefault() throws {
        let m = try Manifest(yaml: "name: a\ntrain:\n  max_steps: 5\n  batch_size: 2\n", overrides: ["train.max_steps=null", "train.batch_size="])
        #expect(m.train.maxSteps == nil && m.train.batchSize == 40)
    }

    @Test func overrideCanSupplyTheName() throws {
        #expect(try Manifest(yaml: "seed: 1", overrides: ["name=given"]).name == "given")
    }

    @Test(arguments: [
        (["train.batchsize=3"], "unknown key train.batchsize in --set train.batchsize=3; did you mean train.batch_size?"),
        (["train.lr.x=1"], "unknown key train.lr.x in --set train.lr.x=1"),
        (["trian.lr=1"], "unknown key trian in --set trian.lr=1; did you mean train?"),
        (["train.lr=fast"], "train.lr in --set train.lr=fast: expected a number, found 'fast'"),
        (["train.batch_size=0"], "train.batch_size in --set train.batch_size=0: expected an integer >= 1, found '0'"),
        (["gap.mixup={lambdas: [0, 2]}"], "gap.mixup.lambdas[1] in --set gap.mixup={lambdas: [0, 2]}: expected a number in [0, 1], found '2'"),
        (["gap.mixup={lambda: [0]}"], "unknown key gap.mixup.lambda in --set gap.mixup={lambda: [0]}; did you mean gap.mixup.lambdas?"),
        (["trainlr"], "--set trainlr: expected key.path=value (for example train.lr=1e-4)"),
        (["train..lr=1"], "--set train..lr=1: expected key.path=value (for example train.lr=1e-4)"),
        (["train.lr=[1, 2"], "malformed YAML in --set train.lr=[1, 2: did not find expected ',' or ']' (while parsing a flow sequence at line 1)"),
    ])
    func overrideErrors(overrides: [String], message: String) {
        #expect(manifestError("name: a\ntrain:\n  lr: 0.1\n", overrides: overrides) == message)
    }
}

struct ManifestErrorTests {
    @Test(arguments: [
        // unknown keys, with the closest known key
        ("name: a\ntrain:\n  batchsize: 3\n", "unknown key train.batchsize at line 3 of m.yaml; did you mean train.batch_size?"),
        ("name: a\ntrian:\n  lr: 1\n", "unknown key trian at line 2 of m.yaml; did you mean train?"),
        ("name: a\ntrain:\n  beam_size: 3\n", "unknown key train.beam_size at line 3 of m.yaml; did you mean decode.beam_size?"),
        ("name: a\ngap:\n  mixup:\n    text: first\n", "unknown key gap.mixup.text at line 4 of m.yaml"),
        ("name: a\ncolour: blue\n", "unknown key colour at line 2 of m.yaml"),
        // wrong types
        ("name: a\ntrain:\n  batch_size: forty\n", "train.batch_size at line 3 of m.yaml: expected an integer, found 'forty'"),
        ("name: a\ntrain:\n  batch_size: 4.5\n", "train.batch_size at line 3 of m.yaml: expected an integer, found '4.5'"),
        ("name: a\ntrain:\n  lr: fast\n", "train.lr at line 3 of m.yaml: expected a number, found 'fast'"),
        ("name: a\ntrain:\n  shuffle: maybe\n", "train.shuffle at line 3 of m.yaml: expected true or false, found 'maybe'"),
        ("name: a\nseed: -1\n", "seed at line 2 of m.yaml: expected a non-negative integer, found '-1'"),
        ("name: a\ntrain: 5\n", "train at line 2 of m.yaml: expected a mapping of keys, found '5'"),
        ("name: a\ngap:\n  mixup:\n    lambdas: 0.5\n", "gap.mixup.lambdas at line 4 of m.yaml: expected a list, found '0.5'"),
        ("name: a\ngap:\n  mixup:\n    lambdas:\n      - 0\n      - half\n", "gap.mixup.lambdas[1] at line 6 of m.yaml: expected a number, found 'half'"),
        ("name: a\nmodel:\n  clip: [a, b]\n", "model.clip at line 3 of m.yaml: expected a single value, found a list"),
        // the required name
        ("seed: 1\ntrain:\n  lr: 0.1\n", "missing required key name at line 1 of m.yaml"),
        ("", "missing required key name at line 1 of m.yaml"),
        ("name: a/b\n", "name at line 1 of m.yaml: expected a folder name (not empty, no '/'), found 'a/b'"),
        // choices
        ("name: a\nmodel:\n  mapper: mpl\n", "model.mapper at line 3 of m.yaml: expected one of mlp, transformer, found 'mpl'"),
        ("name: a\nmodel:\n  gpt2_mode: thaw\n", "model.gpt2_mode at line 3 of m.yaml: expected one of frozen, finetune, found 'thaw'"),
        ("name: a\ntrain:\n  modality: video\n", "train.modality at line 3 of m.yaml: expected one of text, image, found 'video'"),
        ("name: a\ntrain:\n  pairing: swap\n", "train.pairing at line 3 of m.yaml: expected one of paraphrase, same, found 'swap'"),
        ("name: a\ndecode:\n  strategy: nucleus\n", "decode.strategy at line 3 of m.yaml: expected one of greedy, beam, sample, found 'nucleus'"),
        ("name: a\ndecode:\n  stop: comma\n", "decode.stop at line 3 of m.yaml: expected one of eos, period, found 'comma'"),
        ("name: a\ndecode:\n  align: shift\n", "decode.align at line 3 of m.yaml: expected one of none, mean, rotation, ot, sinkhorn, memory, found 'shift'"),
        ("name: a\ngap:\n  align: [mean, magic]\n", "gap.align[1] at line 3 of m.yaml: expected one of mean, rotation, ot, sinkhorn, memory, found 'magic'"),
        ("name: a\ngap:\n  mixup: {text_choice: last}\n", "gap.mixup.text_choice at line 3 of m.yaml: expected one of first, random, mean, found 'last'"),
        ("name: a\nevaluate:\n  metrics: [BLEU, WER]\n", "evaluate.metrics[1] at line 3 of m.yaml: expected one of BLEU, METEOR, ROUGE_L, CIDEr, SPICE, found 'WER'"),
        // ranges
        ("name: a\ntrain:\n  batch_size: 0\n", "train.batch_size at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ntrain:\n  epochs: 0\n", "train.epochs at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ntrain:\n  max_steps: 0\n", "train.max_steps at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ntrain:\n  lr: 0\n", "train.lr at line 3 of m.yaml: expected a number > 0, found '0'"),
        ("name: a\ntrain:\n  lr: .inf\n", "train.lr at line 3 of m.yaml: expected a number > 0, found '.inf'"),
        ("name: a\ntrain:\n  noise_variance: -0.1\n", "train.noise_variance at line 3 of m.yaml: expected a number >= 0.0, found '-0.1'"),
        ("name: a\ntrain:\n  weight_decay: -1\n", "train.weight_decay at line 3 of m.yaml: expected a number >= 0.0, found '-1'"),
        ("name: a\ntrain:\n  warmup_steps: -1\n", "train.warmup_steps at line 3 of m.yaml: expected an integer >= 0, found '-1'"),
        ("name: a\ntrain:\n  max_caption_tokens: 0\n", "train.max_caption_tokens at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ntrain:\n  save_every: 0\n", "train.save_every at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\nmodel:\n  prefix_length: 0\n", "model.prefix_length at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\nmodel:\n  clip_length: 0\n", "model.clip_length at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\nmodel:\n  num_layers: 0\n", "model.num_layers at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ndecode:\n  beam_size: 0\n", "decode.beam_size at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ndecode:\n  max_length: 0\n", "decode.max_length at line 3 of m.yaml: expected an integer >= 1, found '0'"),
        ("name: a\ndecode:\n  temperature: -1\n", "decode.temperature at line 3 of m.yaml: expected a number >= 0.0, found '-1'"),
        ("name: a\ndecode:\n  top_p: 0\n", "decode.top_p at line 3 of m.yaml: expected a number in (0, 1], found '0'"),
        ("name: a\ngap:\n  mixup:\n    lambdas:\n      - 0.5\n      - 1.5\n", "gap.mixup.lambdas[1] at line 6 of m.yaml: expected a number in [0, 1], found '1.5'"),
        ("name: a\ndata:\n  train_split: []\n", "data.train_split at line 3 of m.yaml: expected at least one split name, found a list"),
        // malformed YAML and structure
        ("name: a\ntrain:\n  lr: 1\n   batch_size: 2\n", "malformed YAML at line 4 of m.yaml: mapping values are not allowed in this context"),
        ("name: a\ntrain:\n  lr: 1\n  lr: 2\n", "duplicate key lr at line 3 of m.yaml; each key may appear once per section"),
        ("- a\n- b\n", "a manifest must be a YAML mapping of keys (name: ..., train: ...) at line 1 of m.yaml"),
    ])
    func exactMessage(yaml: String, message: String) {
        #expect(manifestError(yaml) == message)
    }

    @Test func loadReadsAFileAndNamesIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("run.yaml")
        try "name: filed\n# a comment\n\ntrain:\n  batch_size: forty\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ManifestError.invalidValue(path: "train.batch_size", location: .line(5, file: file.path),
                                                   expected: "an integer", found: "'forty'")) {
            try Manifest.load(file: file)
        }
        #expect(try Manifest.load(file: file, overrides: ["train.batch_size=4"]).train.batchSize == 4)
        let missing = dir.appendingPathComponent("none.yaml")
        #expect(throws: ManifestError.self) { try Manifest.load(file: missing) }
        do { _ = try Manifest.load(file: missing) } catch {
            #expect("\(error)".hasPrefix("\(missing.path): cannot read the manifest: "))
            #expect(!"\(error)".contains("\n"))
        }
    }
}

struct ManifestPathTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-paths-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func touch(_ dir: URL, _ paths: [String]) throws {
        for path in paths {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
    }

    @Test func conventionalPathsSayWhatToDownload() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let problems = Manifest(name: "a").missingPaths(relativeTo: dir).map(\.description)
        #expect(problems == [
            "data.dataset: data/coco/dataset_coco.json not found; download the Karpathy split JSON (caption_datasets.zip from https://cs.stanford.edu/people/karpathy/deepimagesent/) and put dataset_coco.json at data/coco/dataset_coco.json",
            "data.images: data/coco/images not found; download the COCO 2014 images (train2014.zip and val2014.zip from https://cocodataset.org) and unzip them into data/coco/images (train2014/, val2014/)",
            "model.clip: models/clip-vit-base-patch32 not found; download openai/clip-vit-base-patch32 from Hugging Face into models/clip-vit-base-patch32 (config.json, model.safetensors, vocab.json, merges.txt)",
            "model.gpt2: models/gpt2 not found; download openai-community/gpt2 from Hugging Face into models/gpt2 (config.json, model.safetensors, vocab.json, merges.txt)",
        ])
        #expect(throws: ManifestError.missingPath(key: "data.dataset", path: "data/coco/dataset_coco.json",
            hint: Manifest.datasetHint("data/coco/dataset_coco.json"))) { try Manifest(name: "a").validatePaths(relativeTo: dir) }

        try touch(dir, ["data/coco/dataset_coco.json", "models/clip-vit-base-patch32/config.json",
                        "models/clip-vit-base-patch32/vocab.json", "models/gpt2/config.json", "models/gpt2/model.safetensors",
                        "models/gpt2/vocab.json", "models/gpt2/merges.txt", "data/coco/images/train2014/x.jpg"])
        #expect(Manifest(name: "a").missingPaths(relativeTo: dir).map(\.description) == [
            "model.clip: models/clip-vit-base-patch32/model.safetensors, merges.txt not found; download openai/clip-vit-base-patch32 from Hugging Face into models/clip-vit-base-patch32 (config.json, model.safetensors, vocab.json, merges.txt)",
        ])
        try touch(dir, ["models/clip-vit-base-patch32/model.safetensors", "models/clip-vit-base-patch32/merges.txt"])
        try Manifest(name: "a").validatePaths(relativeTo: dir)
    }

    @Test func storesThatExistSpareClipAndImages() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try touch(dir, ["d.json", "gpt/config.json", "gpt/model.safetensors", "gpt/vocab.json", "gpt/merges.txt",
                        "e/train.safetensors", "e/image.safetensors"])
        var m = Manifest(name: "a")
        m.data.dataset = "d.json"; m.model.gpt2 = "gpt"; m.model.clip = "my/clip"; m.data.images = "pics"
        m.embeddings.train = "e/train.safetensors"; m.embeddings.evalImage = "e/image.safetensors"
        // The text store of the eval split is still to be computed for the gap stage: CLIP is needed.
        #expect(m.missingPaths(relativeTo: dir).map(\.description) == [
            "model.clip: my/clip not found; model.clip must be a Hugging Face CLIP folder (config.json, model.safetensors, vocab.json, merges.txt)",
        ])
        m.gap.stats = false; m.gap.align = []; m.gap.mixup.lambdas = []
        #expect(m.missingPaths(relativeTo: dir).isEmpty)
        m.model.initCheckpoint = "ckpt"
        #expect(m.missingPaths(relativeTo: dir).map(\.description) == [
            "model.init: ckpt/model.safetensors not found; model.init names a ClipCap checkpoint folder (model.safetensors, optionally clipcap.json); train one or set model.init: null",
        ])
        // Absolute paths are used as they are.
        m.model.initCheckpoint = nil
        m.data.dataset = dir.appendingPathComponent("d.json").path
        let elsewhere = m.missingPaths(relativeTo: URL(fileURLWithPath: "/nonexistent")).map(\.description)
        #expect(elsewhere.contains { $0.hasPrefix("model.gpt2: gpt not found") })
        #expect(!elsewhere.contains { $0.hasPrefix("data.dataset") })
    }
}

struct DemoManifestTests {
    static let repository = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()

    @Test func demoManifestsPointAtTheWorldAndTheShippedModels() throws {
        let runs = ["demo": (TrainingModality.text, CaptionPairing.paraphrase), "demo-supervised": (.image, .paraphrase),
                    "demo-same": (.text, .same)]
        for (name, (modality, pairing)) in runs {
            let m = try Manifest.load(file: Self.repository.appendingPathComponent("Experiments/\(name).yaml"))
            #expect(m.name == name)
            #expect(m.data.dataset == "data/world/dataset.json" && m.data.attributes == "data/world/attributes.json")
            #expect(m.model.clip == "Experiments/world/clip" && m.model.gpt2 == "Experiments/world/gpt2")
            #expect(m.train.modality == modality && (modality == .image || m.train.pairing == pairing))
            // The models ship in the repository; the world is generated (by scripts/demo.sh), and until then
            // each of its paths says how.
            let world = FileManager.default.fileExists(atPath: Self.repository.appendingPathComponent("data/world/attributes.json").path)
            for problem in m.missingPaths(relativeTo: Self.repository).map(\.description) {
                #expect(!world && problem.contains("data/world") && problem.contains("clipcap world generate --out data/world"), "\(problem)")
            }
            #expect(try Manifest(yaml: m.resolvedYAML()) == m)
        }
    }
}

/// Every manifest under Experiments/ parses and validates its keys; the paper manifests point at the
/// conventional paths, and a missing one says what to download.
struct ExperimentManifestsTests {
    @Test func everyManifestParses() throws {
        let root = DemoManifestTests.repository.appendingPathComponent("Experiments")
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 8, "\(files)")
        for file in files {
            let m = try Manifest.load(file: root.appendingPathComponent(file))
            #expect(try Manifest(yaml: m.resolvedYAML()) == m, "\(file)")
        }
        let unsup = try Manifest.load(file: root.appendingPathComponent("paper/unsup-coco.yaml"))
        let missing = unsup.missingPaths(relativeTo: URL(fileURLWithPath: "/nonexistent")).map(\.description)
        #expect(missing.contains { $0.hasPrefix("model.clip: models/clip-vit-base-patch32 not found; download openai/clip-vit-base-patch32") })
        #expect(missing.contains { $0.hasPrefix("data.dataset: data/coco/dataset_coco.json not found") })
        let mixup = try Manifest.load(file: root.appendingPathComponent("paper/mixup-coco.yaml"))
        #expect(mixup.gap.mixup.namedModels.map(\.name) == ["supervised"] && mixup.name == unsup.name)
        #expect(try Manifest.load(file: root.appendingPathComponent("paper/capdec-coco.yaml")).train.noiseVariance == 0.016)
    }
}
