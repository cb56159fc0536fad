import Decoding
import Foundation
import GapAnalysis
import Metrics
import Models
import Training
import Yams

// Decoding fills every absent key with its default (the property initializers in Manifest.swift, the one
// place defaults live) and checks each value's range as it goes, throwing a `ManifestIssue` with the key
// path; `Manifest.load` adds the line number and the text found there. Encoding writes every key, nulls
// included, in DESIGN.md §9's order, so the resolved manifest shows the whole configuration.

extension Manifest {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let name = try c.decodeIfPresent(String.self, forKey: .name) else {
            throw ManifestIssue(path: c.path(.name), kind: .missing)
        }
        let folderName = !name.isEmpty && !name.contains("/") && name != "." && name != ".."
        guard folderName else {
            throw ManifestIssue(path: c.path(.name), kind: .invalid(expected: "a folder name (not empty, no '/')"))
        }
        self.init(name: name)
        seed = try c.value(.seed, or: seed)
        data = try c.value(.data, or: data)
        embeddings = try c.value(.embeddings, or: embeddings)
        model = try c.value(.model, or: model)
        train = try c.value(.train, or: train)
        decode = try c.value(.decode, or: decode)
        evaluate = try c.value(.evaluate, or: evaluate)
        gap = try c.value(.gap, or: gap)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(seed, forKey: .seed)
        try c.encode(data, forKey: .data)
        try c.encode(embeddings, forKey: .embeddings)
        try c.encode(model, forKey: .model)
        try c.encode(train, forKey: .train)
        try c.encode(decode, forKey: .decode)
        try c.encode(evaluate, forKey: .evaluate)
        try c.encode(gap, forKey: .gap)
    }
}

extension Manifest.DataSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try c.value(.dataset, or: dataset)
        images = try c.value(.images, or: images)
        trainSplit = try c.list(.trainSplit, or: trainSplit, expected: "a split name") { $0 }
        guard !trainSplit.isEmpty else {
            throw ManifestIssue(path: c.path(.trainSplit), kind: .invalid(expected: "at least one split name"))
        }
        evalSplit = try c.value(.evalSplit, or: evalSplit)
        attributes = try c.decodeIfPresent(String.self, forKey: .attributes)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(images, forKey: .images)
        try c.encode(trainSplit, forKey: .trainSplit)
        try c.encode(evalSplit, forKey: .evalSplit)
        try c.encodeOrNull(attributes, forKey: .attributes)
    }
}

extension Manifest.EmbeddingSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        train = try c.decodeIfPresent(String.self, forKey: .train)
        evalImage = try c.decodeIfPresent(String.self, forKey: .evalImage)
        evalText = try c.decodeIfPresent(String.self, forKey: .evalText)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeOrNull(train, forKey: .train)
        try c.encodeOrNull(evalImage, forKey: .evalImage)
        try c.encodeOrNull(evalText, forKey: .evalText)
    }
}

extension Manifest.ModelSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clip = try c.value(.clip, or: clip)
        gpt2 = try c.value(.gpt2, or: gpt2)
        mapper = try c.choice(.mapper, or: mapper, among: [MapperType.mlp, .transformer])
        prefixLength = try c.value(.prefixLength, or: prefixLength, .atLeast(1))
        clipLength = try c.value(.clipLength, or: clipLength, .atLeast(1))
        numLayers = try c.value(.numLayers, or: numLayers, .atLeast(1))
        gpt2Mode = try c.choice(.gpt2Mode, or: gpt2Mode, among: [GPT2Mode.frozen, .finetune])
        initCheckpoint = try c.decodeIfPresent(String.self, forKey: .initCheckpoint)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clip, forKey: .clip)
        try c.encode(gpt2, forKey: .gpt2)
        try c.encode(mapper.rawValue, forKey: .mapper)
        try c.encode(prefixLength, forKey: .prefixLength)
        try c.encode(clipLength, forKey: .clipLength)
        try c.encode(numLayers, forKey: .numLayers)
        try c.encode(gpt2Mode.rawValue, forKey: .gpt2Mode)
        try c.encodeOrNull(initCheckpoint, forKey: .initCheckpoint)
    }
}

extension Manifest.TrainSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modality = try c.choice(.modality, or: modality, among: TrainingModality.allCases)
        pairing = try c.choice(.pairing, or: pairing, among: CaptionPairing.allCases)
        normalizePrefix = try c.value(.normalizePrefix, or: normalizePrefix)
        noiseVariance = try c.value(.noiseVariance, or: noiseVariance, .atLeast(0))
        batchSize = try c.value(.batchSize, or: batchSize, .atLeast(1))
        epochs = try c.value(.epochs, or: epochs, .atLeast(1))
        maxSteps = try c.optional(.maxSteps, .atLeast(1))
        lr = try c.value(.lr, or: lr, .positive)
        warmupSteps = try c.value(.warmupSteps, or: warmupSteps, .atLeast(0))
        weightDecay = try c.value(.weightDecay, or: weightDecay, .atLeast(0))
        maxCaptionTokens = try c.value(.maxCaptionTokens, or: maxCaptionTokens, .atLeast(1))
        shuffle = try c.value(.shuffle, or: shuffle)
        saveEvery = try c.value(.saveEvery, or: saveEvery, .atLeast(1))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modality.rawValue, forKey: .modality)
        try c.encode(pairing.rawValue, forKey: .pairing)
        try c.encode(normalizePrefix, forKey: .normalizePrefix)
        try c.encode(ManifestNumber(noiseVariance), forKey: .noiseVariance)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(epochs, forKey: .epochs)
        try c.encodeOrNull(maxSteps, forKey: .maxSteps)
        try c.encode(ManifestNumber(lr), forKey: .lr)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(ManifestNumber(weightDecay), forKey: .weightDecay)
        try c.encode(maxCaptionTokens, forKey: .maxCaptionTokens)
        try c.encode(shuffle, forKey: .shuffle)
        try c.encode(saveEvery, forKey: .saveEvery)
    }
}

/// `decode.align`'s choices: `none`, then the alignment methods.
private let decodeAlignChoices: [(String, AlignmentMethod?)] =
    [("none", nil)] + AlignmentMethod.allCases.map { ($0.rawValue, $0) }

extension Manifest.DecodeSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        strategy = try c.choice(.strategy, or: strategy, among: Manifest.DecodeStrategyName.allCases)
        beamSize = try c.value(.beamSize, or: beamSize, .atLeast(1))
        maxLength = try c.value(.maxLength, or: maxLength, .atLeast(1))
        stop = try c.choice(.stop, or: stop, among: StopRule.allCases)
        start = try c.value(.start, or: start)
        align = try c.parsed(.align, or: align, expected: oneOf(decodeAlignChoices.map(\.0))) { text in
            decodeAlignChoices.first { $0.0 == text }.map(\.1)
        }
        temperature = try c.value(.temperature, or: temperature, .atLeast(0))
        topP = try c.value(.topP, or: topP, .init(expected: "a number in (0, 1]") { $0 > 0 && $0 <= 1 })
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(strategy.rawValue, forKey: .strategy)
        try c.encode(beamSize, forKey: .beamSize)
        try c.encode(maxLength, forKey: .maxLength)
        try c.encode(stop.rawValue, forKey: .stop)
        try c.encode(start, forKey: .start)
        try c.encode(align?.rawValue ?? "none", forKey: .align)
        try c.encode(ManifestNumber(temperature), forKey: .temperature)
        try c.encode(ManifestNumber(topP), forKey: .topP)
    }
}

extension Manifest.EvaluateSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metrics = try c.list(.metrics, or: metrics, expected: oneOf(CaptionMetric.allCases.map(\.rawValue)),
                             CaptionMetric.init(name:))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metrics.map(\.rawValue), forKey: .metrics)
    }
}

extension Manifest.MixupSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lambdas = try c.value(.lambdas, or: lambdas)
        for (i, lambda) in lambdas.enumerated() where !(0...1).contains(lambda) {
            throw ManifestIssue(path: c.path(.lambdas) + [.index(i)], kind: .invalid(expected: "a number in [0, 1]"))
        }
        textChoice = try c.choice(.textChoice, or: textChoice, among: MixupTextChoice.allCases)
        models = try c.list(.models, or: models, expected: "NAME=PATH (a name for the table, then a checkpoint folder)") { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else { return nil }
            return spec
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lambdas.map(ManifestNumber.init), forKey: .lambdas)
        try c.encode(textChoice.rawValue, forKey: .textChoice)
        try c.encode(models, forKey: .models)
    }
}

extension Manifest.GapSettings {
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stats = try c.value(.stats, or: stats)
        align = try c.list(.align, or: align, expected: oneOf(AlignmentMethod.allCases.map(\.rawValue)),
                           AlignmentMethod.init(rawValue:))
        mixup = try c.value(.mixup, or: mixup)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stats, forKey: .stats)
        try c.encode(align.map(\.rawValue), forKey: .align)
        try c.encode(mixup, forKey: .mixup)
    }
}

// MARK: - Issues found while decoding

/// One step of a key path: a mapping key or a list index.
enum ManifestPathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)

    init(_ key: CodingKey) {
        // Manifest keys are string keys; only list positions carry an integer.
        if let i = key.intValue { self = .index(i) } else { self = .key(key.stringValue) }
    }
}

/// `train.batch_size`, `gap.mixup.lambdas[3]`.
func render(_ path: [ManifestPathComponent]) -> String {
    var out = ""
    for component in path {
        switch component {
        case .key(let k): out += out.isEmpty ? k : "." + k
        case .index(let i): out += "[\(i)]"
        }
    }
    return out
}

/// A value the manifest rejects, thrown while decoding; `Manifest.load` turns it into a `ManifestError`
/// with the line and the text found there.
struct ManifestIssue: Error, CustomStringConvertible {
    enum Kind: Sendable {
        case missing
        case invalid(expected: String)
    }
    var path: [ManifestPathComponent]
    var kind: Kind

    var description: String {
        switch kind {
        case .missing: return "missing required key \(render(path))"
        case .invalid(let expected): return "\(render(path)): expected \(expected)"
        }
    }
}

/// A range rule: the test, and what the message says was expected.
struct ManifestRule<T> {
    var expected: String
    var test: (T) -> Bool
}

extension ManifestRule where T == Int {
    static func atLeast(_ n: Int) -> Self { .init(expected: "an integer >= \(n)") { $0 >= n } }
}

extension ManifestRule where T == Double {
    static func atLeast(_ x: Double) -> Self { .init(expected: "a number >= \(ManifestNumber.text(x))") { $0 >= x && $0.isFinite } }
    static var positive: Self { .init(expected: "a number > 0") { $0 > 0 && $0.isFinite } }
}

func oneOf(_ names: [String]) -> String { "one of " + names.joined(separator: ", ") }

extension KeyedDecodingContainer {
    func path(_ key: Key) -> [ManifestPathComponent] { (codingPath + [key]).map(ManifestPathComponent.init) }

    /// The value under `key`; `fallback` when the key is absent or null.
    func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// The value under `key` (or `fallback`), which must pass `rule`.
    func value<T: Decodable>(_ key: Key, or fallback: T, _ rule: ManifestRule<T>) throws -> T {
        let v = try value(key, or: fallback)
        guard rule.test(v) else { throw ManifestIssue(path: path(key), kind: .invalid(expected: rule.expected)) }
        return v
    }

    /// The value under `key`, nil when absent or null; a value must pass `rule`.
    func optional<T: Decodable>(_ key: Key, _ rule: ManifestRule<T>) throws -> T? {
        guard let v = try decodeIfPresent(T.self, forKey: key) else { return nil }
        guard rule.test(v) else { throw ManifestIssue(path: path(key), kind: .invalid(expected: rule.expected)) }
        return v
    }

    /// A string under `key` turned into a value by `parse`; nil from `parse` is an error saying `expected`.
    func parsed<T>(_ key: Key, or fallback: T, expected: String, _ parse: (String) -> T?) throws -> T {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return fallback }
        guard let v = parse(text) else { throw ManifestIssue(path: path(key), kind: .invalid(expected: expected)) }
        return v
    }

    /// One of `allowed`, by its raw value.
    func choice<E: RawRepresentable>(_ key: Key, or fallback: E, among allowed: [E]) throws -> E where E.RawValue == String {
        try parsed(key, or: fallback, expected: oneOf(allowed.map(\.rawValue))) { text in
            allowed.first { $0.rawValue == text }
        }
    }

    /// A list of strings, each turned into a value by `parse` (an error at `key[i]` names the element);
    /// a single string is read as a one-element list.
    func list<T>(_ key: Key, or fallback: [T], expected: String, _ parse: (String) -> T?) throws -> [T] {
        guard contains(key), try !decodeNil(forKey: key) else { return fallback }
        let texts: [String]
        if let one = try? decode(String.self, forKey: key) { texts = [one] } else { texts = try decode([String].self, forKey: key) }
        return try texts.enumerated().map { i, text in
            guard let v = parse(text) else {
                throw ManifestIssue(path: path(key) + [.index(i)], kind: .invalid(expected: expected))
            }
            return v
        }
    }
}

extension KeyedEncodingContainer {
    /// Writes `key: null` for nil, so the resolved manifest lists every key.
    mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

// MARK: - Numbers

/// A Double as the resolved manifest writes it: Swift's shortest round-trip digits, always with a decimal
/// point (`2.0e-05`, `5000.0`), so that YAML 1.1 readers such as PyYAML read a float and not a string.
struct ManifestNumber: Encodable, YAMLEncodable {
    var value: Double
    init(_ value: Double) { self.value = value }

    /// With this user-info flag set, numbers encode as their text (for a hash that no encoder's float
    /// formatting can change).
    static let asText = CodingUserInfoKey(rawValue: "clipcap.manifest.numbersAsText")!

    static func text(_ x: Double) -> String {
        var s = "\(x)"
        guard x.isFinite, !s.contains(".") else { return s }
        if let e = s.firstIndex(of: "e") { s.insert(contentsOf: ".0", at: e) } else { s += ".0" }
        return s
    }

    func box() -> Node { Node(Self.text(value), Tag(.float)) }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if encoder.userInfo[Self.asText] as? Bool == true { try c.encode(Self.text(value)) } else { try c.encode(value) }
    }
}
