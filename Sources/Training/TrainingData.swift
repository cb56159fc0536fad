import Data
import Foundation
import Models
import Tensor
import Tokenizers

/// What the mapper is trained on (`train.modality` in a manifest).
public enum TrainingModality: String, Codable, CaseIterable, Sendable {
    /// CLIP text embeddings of captions: training without images (DESIGN.md §5 pairing applies).
    case text
    /// CLIP image embeddings, one sample per (image, caption): the official ClipCap setting.
    case image
}

/// Which caption embedding is fed for a target caption y, within the captions of one image (DESIGN.md §5).
public enum CaptionPairing: String, Codable, CaseIterable, Sendable {
    /// Feed y′ ≠ y of the same image, target y: the next caption cyclically without shuffling, a seeded
    /// random other caption (redrawn per epoch) with it.
    case paraphrase
    /// Feed y, target y.
    case same
}

/// The `train` options that shape the data (DESIGN.md §5, §9); the manifest's defaults.
public struct TrainingDataOptions: Sendable, Equatable {
    /// Ignored for image training.
    public var pairing: CaptionPairing
    /// L2-normalize each input embedding (the CLIP embedding before the mapper).
    public var normalizePrefix: Bool
    /// CapDec σ²: normalize, add N(0, σ²·I), renormalize. 0 adds nothing.
    public var noiseVariance: Double
    public var batchSize: Int
    public var epochs: Int
    /// When set, the total step count T regardless of `epochs`.
    public var maxSteps: Int?
    /// Caption tokens kept before the appended EOS; longer captions are truncated (and counted).
    public var maxCaptionTokens: Int
    /// Shuffle the sample order per epoch (and, for paraphrase, draw y′ at random).
    public var shuffle: Bool
    /// Seeds the epoch orders, the paraphrase draws and the noise.
    public var seed: UInt64

    public init(pairing: CaptionPairing = .paraphrase, normalizePrefix: Bool = true, noiseVariance: Double = 0,
                batchSize: Int = 40, epochs: Int = 10, maxSteps: Int? = nil, maxCaptionTokens: Int = 40,
                shuffle: Bool = true, seed: UInt64 = 0) {
        self.pairing = pairing; self.normalizePrefix = normalizePrefix; self.noiseVariance = noiseVariance
        self.batchSize = batchSize; self.epochs = epochs; self.maxSteps = maxSteps
        self.maxCaptionTokens = maxCaptionTokens; self.shuffle = shuffle; self.seed = seed
    }
}

/// One optimizer step's data: B input embeddings and their B target token lists.
public struct TrainingBatch: Sendable {
    /// The 0-based optimizer step t (the index the learning-rate schedule and the log use).
    public var step: Int
    /// The 0-based epoch, ⌊t / batchesPerEpoch⌋ (it keeps counting past `epochs` under `max_steps`).
    public var epoch: Int
    /// The batch's index k within its epoch.
    public var index: Int
    /// The samples, in batch order (indices into `TrainingData.targets`).
    public var samples: [Int]
    /// The store rows fed as inputs, in batch order.
    public var inputRows: [Int]
    /// (B, D): the input embeddings with normalize_prefix and the step's CapDec noise applied.
    public var inputs: Tensor
    /// B token lists: the caption's GPT-2 tokens (truncated) followed by EOS.
    public var targets: [[Int]]

    /// Tokens the loss averages over: every caption token plus each EOS (DESIGN.md §5).
    public var tokenCount: Int { targets.reduce(0) { $0 + $1.count } }
}

/// Errors in building training data; each description is one line naming the file and the culprit.
public enum TrainingDataError: Error, CustomStringConvertible, Equatable {
    /// The store has no rows.
    case emptyStore(file: String)
    /// The embedding width D is not the mapper's prefix_size.
    case widthMismatch(file: String, width: Int, prefixSize: Int)
    /// An image store given for text training, or a text store for image training.
    case wrongStoreKind(file: String, modality: TrainingModality)
    /// Under paraphrase pairing, an image with fewer than 2 captions in the text store.
    case tooFewCaptions(file: String, imageId: ItemID, count: Int)
    /// Under image training, an image of the store without any caption in the caption records.
    case missingCaptions(file: String, imageId: ItemID, captionsFile: String)
    /// Fewer samples than one batch: no step could run.
    case noBatches(file: String, samples: Int, batchSize: Int)

    public var description: String {
        switch self {
        case .emptyStore(let file):
            return "\(file): the embedding store has no rows; training needs at least one batch"
        case .widthMismatch(let file, let width, let prefixSize):
            return "\(file): embeddings are \(width) wide, but the mapper's prefix_size is \(prefixSize) (embed with the CLIP the model uses)"
        case .wrongStoreKind(let file, .text):
            return "\(file): an image store (rows carry 'path'); train.modality text needs a text store (rows carry 'caption')"
        case .wrongStoreKind(let file, .image):
            return "\(file): a text store (rows carry 'caption'); train.modality image needs an image store (rows carry 'path')"
        case .tooFewCaptions(let file, let imageId, let count):
            return "\(file): image \(imageId) has \(count) caption\(count == 1 ? "" : "s"); pairing paraphrase needs at least 2 per image (use train.pairing same)"
        case .missingCaptions(let file, let imageId, let captionsFile):
            return "\(file): image \(imageId) has no captions in \(captionsFile)"
        case .noBatches(let file, let samples, let batchSize):
            return "\(file): \(samples) training sample\(samples == 1 ? " makes" : "s make") no batch of \(batchSize) (train.batch_size)"
        }
    }
}

/// The training samples of DESIGN.md §5 over an embedding store, and the batches of every step.
///
/// A sample is one target caption and where its input comes from. Text training has one sample per store
/// row (each caption is a target once); its input is the embedding of y itself (`same`) or of another
/// caption y′ of the same image (`paraphrase`). Image training has one sample per (image row, caption of
/// that image), with the image embedding as input. Batches are consecutive samples of the epoch's order
/// (the identity, or a permutation seeded from the seed and the epoch); a last partial batch is dropped.
/// Every random choice is a pure function of (seed, epoch or step, sample), so `batch(step:)` for any step
/// equals what an uninterrupted run sees there, which is what makes resuming exact.
public struct TrainingData: Sendable {
    public let modality: TrainingModality
    public let options: TrainingDataOptions
    /// [N, D]: the store's embeddings, as stored (not normalized).
    public let embeddings: Tensor
    /// The store's `.safetensors` path, or a placeholder for a store built in memory (for messages).
    public let storeFile: String
    /// Per sample: GPT-2 tokens of the target caption (at most `maxCaptionTokens`), then EOS.
    public let targets: [[Int]]
    /// Per sample: the image the target caption describes.
    public let imageIds: [ItemID]
    /// How many target captions had more than `maxCaptionTokens` tokens and were cut.
    public let truncatedCaptions: Int

    /// Per sample: the target caption's store row (text) or the image's store row (image).
    private let baseRows: [Int]
    /// Text only: the store rows of each image's captions, in store row order.
    private let groups: [[Int]]
    /// Text only, per sample: its image's index in `groups` and its own position there.
    private let groupIndex: [Int]
    private let groupPosition: [Int]

    /// Text training over a text store (rows `image_id`, `caption_id`, `caption`). `prefixSize` is the
    /// mapper's input width D. Throws `TrainingDataError` (empty store, width, store kind, an image with one
    /// caption under paraphrase, too few samples for a batch) or `DataError` for malformed rows.
    public init(textStore store: EmbeddingStore, tokenizer: GPT2Tokenizer, prefixSize: Int,
                options: TrainingDataOptions) throws {
        let sidecar = try Self.checked(store, prefixSize: prefixSize, modality: .text)
        let records = try store.captionRecords()
        var groupOfImage: [ItemID: Int] = [:]
        var groups: [[Int]] = []
        var groupIndex: [Int] = [], groupPosition: [Int] = []
        groupIndex.reserveCapacity(records.count); groupPosition.reserveCapacity(records.count)
        for (row, record) in records.enumerated() {
            let g: Int
            if let known = groupOfImage[record.imageId] { g = known } else {
                g = groups.count
                groupOfImage[record.imageId] = g
                groups.append([])
            }
            groupIndex.append(g)
            groupPosition.append(groups[g].count)
            groups[g].append(row)
        }
        if options.pairing == .paraphrase, let lonely = groups.first(where: { $0.count < 2 }) {
            throw TrainingDataError.tooFewCaptions(file: sidecar, imageId: records[lonely[0]].imageId, count: lonely.count)
        }
        let (targets, truncated) = Self.tokenize(records.map(\.caption), tokenizer: tokenizer, limit: options.maxCaptionTokens)
        try self.init(modality: .text, options: options, store: store, targets: targets, imageIds: records.map(\.imageId),
                  truncated: truncated, baseRows: Array(0..<records.count), groups: groups,
                  groupIndex: groupIndex, groupPosition: groupPosition)
    }

    /// Image training over an image store (rows `image_id`, `path`) with the captions of the training split
    /// (`Datasets.captions(from:splits:)`); `captionsFile` names their source in messages. Samples run over
    /// the store rows in order and, within a row, over its image's captions in record order. Captions of
    /// images absent from the store are not used; a store image without captions is an error.
    public init(imageStore store: EmbeddingStore, captions: [CaptionRecord], captionsFile: String,
                tokenizer: GPT2Tokenizer, prefixSize: Int, options: TrainingDataOptions) throws {
        let sidecar = try Self.checked(store, prefixSize: prefixSize, modality: .image)
        let images = try store.imageRecords()
        var byImage: [ItemID: [Int]] = [:]
        for (k, caption) in captions.enumerated() { byImage[caption.imageId, default: []].append(k) }
        var baseRows: [Int] = [], imageIds: [ItemID] = [], texts: [String] = []
        for (row, image) in images.enumerated() {
            guard let list = byImage[image.imageId] else {
                throw TrainingDataError.missingCaptions(file: sidecar, imageId: image.imageId, captionsFile: captionsFile)
            }
            for k in list {
                baseRows.append(row)
                imageIds.append(image.imageId)
                texts.append(captions[k].caption)
            }
        }
        let (targets, truncated) = Self.tokenize(texts, tokenizer: tokenizer, limit: options.maxCaptionTokens)
        try self.init(modality: .image, options: options, store: store, targets: targets, imageIds: imageIds,
                  truncated: truncated, baseRows: baseRows, groups: [], groupIndex: [], groupPosition: [])
    }

    /// Reads the store at `storeURL` and builds the data for `modality`; image training also reads the
    /// captions of `splits` from `dataset` (any format `Datasets.captions` reads), which text training ignores.
    public static func load(store storeURL: URL, modality: TrainingModality, dataset: URL, splits: [String]?,
                            tokenizer: GPT2Tokenizer, prefixSize: Int, options: TrainingDataOptions) throws -> TrainingData {
        let store = try EmbeddingStore.read(storeURL)
        switch modality {
        case .text:
            return try TrainingData(textStore: store, tokenizer: tokenizer, prefixSize: prefixSize, options: options)
        case .image:
            // Check the store before the (possibly long) dataset read, so a wrong store fails fast.
            _ = try checked(store, prefixSize: prefixSize, modality: .image)
            let captions = try Datasets.captions(from: dataset, splits: splits)
            return try TrainingData(imageStore: store, captions: captions, captionsFile: dataset.path,
                                    tokenizer: tokenizer, prefixSize: prefixSize, options: options)
        }
    }

    private init(modality: TrainingModality, options: TrainingDataOptions, store: EmbeddingStore, targets: [[Int]],
                 imageIds: [ItemID], truncated: Int, baseRows: [Int], groups: [[Int]], groupIndex: [Int],
                 groupPosition: [Int]) throws {
        self.modality = modality
        self.options = options
        self.embeddings = store.embeddings
        self.storeFile = store.url?.path ?? Self.inMemory
        self.targets = targets
        self.imageIds = imageIds
        self.truncatedCaptions = truncated
        self.baseRows = baseRows
        self.groups = groups
        self.groupIndex = groupIndex
        self.groupPosition = groupPosition
        guard options.batchSize >= 1, targets.count >= options.batchSize else {
            throw TrainingDataError.noBatches(file: storeFile, samples: targets.count, batchSize: options.batchSize)
        }
    }

    private static let inMemory = "(in-memory embedding store)"

    /// The checks every store gets before its rows are read; returns the sidecar path for row messages.
    private static func checked(_ store: EmbeddingStore, prefixSize: Int, modality: TrainingModality) throws -> String {
        let file = store.url?.path ?? inMemory
        let sidecar = store.url.map { EmbeddingStore.sidecarURL(for: $0).path } ?? inMemory
        // EmbeddingStore.read checks the row count; a store built in memory has not been through it.
        guard store.rows.count == store.count else {
            throw DataError.rowCountMismatch(file: sidecar, rows: store.rows.count, embeddings: store.count)
        }
        guard store.count > 0 else { throw TrainingDataError.emptyStore(file: file) }
        guard store.dimension == prefixSize else {
            throw TrainingDataError.widthMismatch(file: file, width: store.dimension, prefixSize: prefixSize)
        }
        // The sidecar's keys tell the kinds apart (DESIGN.md §4): text rows carry `caption`, image rows `path`.
        let first = store.rows[0]
        switch modality {
        case .text where first["caption"] == nil && first["path"] != nil,
             .image where first["path"] == nil && first["caption"] != nil:
            throw TrainingDataError.wrongStoreKind(file: sidecar, modality: modality)
        default:
            return sidecar
        }
    }

    /// GPT-2 tokens of each caption, cut to `limit`, with EOS appended; and how many were cut.
    private static func tokenize(_ captions: [String], tokenizer: GPT2Tokenizer, limit: Int) -> ([[Int]], Int) {
        var truncated = 0
        let targets = captions.map { caption -> [Int] in
            var ids = tokenizer.encode(caption)
            if ids.count > limit { ids.removeLast(ids.count - limit); truncated += 1 }
            ids.append(tokenizer.eosTokenId)
            return ids
        }
        return (targets, truncated)
    }

    // MARK: - Steps

    /// S, the number of samples in one epoch.
    public var sampleCount: Int { targets.count }
    /// ⌊S / batch_size⌋: the last partial batch is dropped, as the official code does.
    public var batchesPerEpoch: Int { sampleCount / options.batchSize }
    /// T: `max_steps` when set, otherwise epochs × ⌊S / batch_size⌋.
    public var totalSteps: Int { options.maxSteps ?? options.epochs * batchesPerEpoch }

    /// The sample order of `epoch`: the identity without shuffling, else a Fisher–Yates permutation seeded
    /// from (seed, epoch).
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<sampleCount)
        guard options.shuffle else { return order }
        var rng = SeededRNG(seed: derivedSeed(options.seed, Stream.order, UInt64(epoch)))
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, below(i + 1, &rng))
        }
        return order
    }

    /// The store row fed for `sample` in `epoch`. Text/paraphrase: the next caption of the same image
    /// (cyclically, in store row order) without shuffling; with it, one of the image's other captions drawn
    /// uniformly with a generator seeded from (seed, epoch, sample). Text/same and image: fixed.
    public func inputRow(sample: Int, epoch: Int) -> Int {
        guard modality == .text, options.pairing == .paraphrase else { return baseRows[sample] }
        let group = groups[groupIndex[sample]], position = groupPosition[sample]
        guard options.shuffle else { return group[(position + 1) % group.count] }
        var rng = SeededRNG(seed: derivedSeed(options.seed, Stream.paraphrase, UInt64(epoch), UInt64(sample)))
        // A uniform draw over the other count−1 positions: skip over our own.
        let draw = below(group.count - 1, &rng)
        return group[draw >= position ? draw + 1 : draw]
    }

    /// The batches of one epoch, with its order computed once (for a loop that walks the epoch).
    public func epoch(_ epoch: Int) -> TrainingEpoch {
        TrainingEpoch(data: self, epoch: epoch, order: order(epoch: epoch))
    }

    /// Batch `index` of `epoch` (0-based), exactly as a full pass over the epoch yields it.
    public func batch(epoch: Int, index: Int) -> TrainingBatch {
        self.epoch(epoch).batch(index)
    }

    /// The batch of 0-based optimizer step `step`: batch step mod batchesPerEpoch of epoch
    /// ⌊step / batchesPerEpoch⌋. A run resumed at step s continues with `batch(step: s)`.
    public func batch(step: Int) -> TrainingBatch {
        batch(epoch: step / batchesPerEpoch, index: step % batchesPerEpoch)
    }

    /// Gathers the rows and applies normalize_prefix and the step's noise.
    fileprivate func makeBatch(epoch: Int, index: Int, order: [Int]) -> TrainingBatch {
        let b = options.batchSize, d = embeddings.shape[1]
        let samples = Array(order[index * b ..< (index + 1) * b])
        let rows = samples.map { inputRow(sample: $0, epoch: epoch) }
        let step = epoch * batchesPerEpoch + index
        var inputs = Tensor(uninitialized: [b, d])
        let out = inputs.mutableData, src = embeddings.data
        for (r, row) in rows.enumerated() { (out + r * d).update(from: src + row * d, count: d) }
        if options.noiseVariance > 0 {
            // CapDec: noise is added on the unit sphere's scale, then projected back onto it.
            l2NormalizeRows(&inputs)
            let std = options.noiseVariance.squareRoot()
            var rng = SeededRNG(seed: derivedSeed(options.seed, Stream.noise, UInt64(step)))
            for i in 0..<(b * d) { out[i] += Float(rng.normal() * std) }
            l2NormalizeRows(&inputs)
        } else if options.normalizePrefix {
            l2NormalizeRows(&inputs)
        }
        return TrainingBatch(step: step, epoch: epoch, index: index, samples: samples, inputRows: rows,
                             inputs: inputs, targets: samples.map { targets[$0] })
    }
}

/// One epoch's order and its batches (`TrainingData.epoch(_:)`).
public struct TrainingEpoch: Sendable {
    public let data: TrainingData
    public let epoch: Int
    /// The sample order of this epoch.
    public let order: [Int]

    /// ⌊S / batch_size⌋.
    public var batchCount: Int { data.batchesPerEpoch }

    /// Batch `index` (0-based, < batchCount): samples order[index·B ..< (index+1)·B].
    public func batch(_ index: Int) -> TrainingBatch {
        data.makeBatch(epoch: epoch, index: index, order: order)
    }
}

// MARK: - Seeding

/// Independent random streams, so that the order, the paraphrase draws and the noise never share draws.
private enum Stream {
    static let order: UInt64 = 1
    static let paraphrase: UInt64 = 2
    static let noise: UInt64 = 3
}

/// A seed for one stream and position: the parts folded through SplitMix64's finalizer, so that nearby
/// (epoch, sample) pairs get unrelated generators.
private func derivedSeed(_ parts: UInt64...) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for p in parts {
        var x = (h ^ p) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        h = x ^ (x >> 31)
    }
    return h
}

/// A uniform integer in 0..<n by rejection (unbiased, and fixed across toolchains, unlike the standard
/// library's `random(in:using:)`, whose algorithm is not a contract).
private func below(_ n: Int, _ rng: inout SeededRNG) -> Int {
    let bound = UInt64(n)
    let limit = UInt64.max - UInt64.max % bound
    while true {
        let x = rng.next()
        if x < limit { return Int(x % bound) }
    }
}
