import Data
import Foundation
import Tensor
import Testing
import TestSupport
@testable import Tokenizers
@testable import Training

/// Small stores written with EmbeddingStore's writer, and a byte-level GPT-2 vocabulary with no merges
/// (token id = byte value, `<|endoftext|>` = 256), so token lists can be read off the captions' bytes.
enum TrainingFixtures {
    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func tokenizer() throws -> GPT2Tokenizer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-vocab-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[ByteUnicodeMap.string(for: UInt8(b))] = b }
        vocab["<|endoftext|>"] = 256
        try JSONEncoder().encode(vocab).write(to: dir.appendingPathComponent("vocab.json"))
        try "#version: 0.2\n".write(to: dir.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        return try GPT2Tokenizer(directory: dir)
    }

    /// The ids of a caption under the byte vocabulary, then EOS.
    static func target(_ caption: String) -> [Int] { caption.utf8.map(Int.init) + [256] }

    /// Rows interleave the images so that "store row order" matters: image 1 has rows 0, 2, 5; image 2 rows
    /// 1, 4; image 3 rows 3, 6.
    static let textRows: [(image: Int, caption: String)] = [
        (1, "a1"), (2, "b1 long"), (1, "a2"), (3, "c1"), (2, "b2"), (1, "a3 longer"), (3, "c2"),
    ]

    /// Row r of a D = 4 store: (r + 1, 2, 0, −1), so a batch row tells which store row it came from.
    static func embeddings(rows: Int, width: Int = 4) -> Tensor {
        var values: [Float] = []
        for r in 0..<rows { values += [Float(r + 1), 2, 0, -1] + [Float](repeating: 0.5, count: max(0, width - 4)) }
        return Tensor(shape: [rows, width], values: values)
    }

    static func textStore(in dir: URL, rows: [(image: Int, caption: String)] = textRows, width: Int = 4) throws -> EmbeddingStore {
        let url = dir.appendingPathComponent("text.safetensors")
        let records = rows.enumerated().map { CaptionRecord(imageId: .int($1.image), captionId: .int($0), caption: $1.caption) }
        try EmbeddingStore.write(embeddings: embeddings(rows: rows.count, width: width), rows: records, to: url)
        return try EmbeddingStore.read(url)
    }

    static func imageStore(in dir: URL, images: [Int]) throws -> EmbeddingStore {
        let url = dir.appendingPathComponent("image.safetensors")
        let records = images.map { ImageRecord(imageId: .int($0), path: "\($0).jpg") }
        try EmbeddingStore.write(embeddings: embeddings(rows: images.count), rows: records, to: url)
        return try EmbeddingStore.read(url)
    }

    static func options(_ pairing: CaptionPairing = .paraphrase, batch: Int = 2, shuffle: Bool = false,
                        normalize: Bool = false, noise: Double = 0, epochs: Int = 2, maxSteps: Int? = nil,
                        maxTokens: Int = 40, seed: UInt64 = 0) -> TrainingDataOptions {
        TrainingDataOptions(pairing: pairing, normalizePrefix: normalize, noiseVariance: noise, batchSize: batch,
                            epochs: epochs, maxSteps: maxSteps, maxCaptionTokens: maxTokens, shuffle: shuffle, seed: seed)
    }

    static func text(_ options: TrainingDataOptions, rows: [(image: Int, caption: String)] = textRows) throws -> TrainingData {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        return try TrainingData(textStore: textStore(in: dir, rows: rows), tokenizer: tokenizer(), prefixSize: 4, options: options)
    }
}

struct TrainingPairingTests {
    @Test func paraphraseFeedsTheNextCaptionOfTheSameImageCyclically() throws {
        let data = try TrainingFixtures.text(TrainingFixtures.options(.paraphrase))
        #expect(data.modality == .text && data.sampleCount == 7)
        let next = (0..<7).map { data.inputRow(sample: $0, epoch: 0) }
        // image 1: 0→2→5→0; image 2: 1→4→1; image 3: 3→6→3
        #expect(next == [2, 4, 5, 6, 1, 0, 3])
        #expect((0..<7).map { data.inputRow(sample: $0, epoch: 3) } == next)   // no shuffling: every epoch alike
        #expect(data.targets == TrainingFixtures.textRows.map { TrainingFixtures.target($0.caption) })
        #expect(data.imageIds == [1, 2, 1, 3, 2, 1, 3].map { ItemID.int($0) })
    }

    @Test func sameFeedsTheCaptionItself() throws {
        let data = try TrainingFixtures.text(TrainingFixtures.options(.same))
        #expect((0..<7).map { data.inputRow(sample: $0, epoch: 0) } == Array(0..<7))
        // One caption for an image is fine under `same`.
        let single = try TrainingFixtures.text(TrainingFixtures.options(.same), rows: [(1, "x"), (2, "y")])
        #expect(single.sampleCount == 2)
    }

    @Test func batchesAreConsecutiveSamplesWithTheirInputs() throws {
        let data = try TrainingFixtures.text(TrainingFixtures.options(.paraphrase, batch: 3))
        #expect(data.batchesPerEpoch == 2)   // 7 samples: the last, partial batch is dropped
        let first = data.batch(step: 0)
        #expect(first.samples == [0, 1, 2] && first.inputRows == [2, 4, 5] && first.epoch == 0 && first.index == 0)
        #expect(first.inputs.shape == [3, 4])
        #expect(first.inputs.scalars == [3, 2, 0, -1, 5, 2, 0, -1, 6, 2, 0, -1])
        #expect(first.targets == [TrainingFixtures.target("a1"), TrainingFixtures.target("b1 long"), TrainingFixtures.target("a2")])
        #expect(first.tokenCount == 3 + 8 + 3)
        let second = data.batch(step: 1)
        #expect(second.samples == [3, 4, 5] && second.inputRows == [6, 1, 0])
        // Step 2 starts epoch 1; sample 6 never appears without shuffling.
        let third = data.batch(step: 2)
        #expect(third.epoch == 1 && third.index == 0 && third.step == 2 && third.samples == [0, 1, 2])
    }
}

struct TrainingScheduleTests {
    @Test func totalSteps() throws {
        #expect(try TrainingFixtures.text(TrainingFixtures.options(batch: 2, epochs: 5)).totalSteps == 15)   // 5 × ⌊7/2⌋
        #expect(try TrainingFixtures.text(TrainingFixtures.options(batch: 7, epochs: 4)).totalSteps == 4)
        #expect(try TrainingFixtures.text(TrainingFixtures.options(batch: 2, epochs: 5, maxSteps: 4)).totalSteps == 4)
        #expect(try TrainingFixtures.text(TrainingFixtures.options(batch: 2, epochs: 1, maxSteps: 10)).totalSteps == 10)
    }

    @Test func shuffledOrdersAreSeededPermutationsPerEpoch() throws {
        let a = try TrainingFixtures.text(TrainingFixtures.options(shuffle: true, seed: 11))
        let b = try TrainingFixtures.text(TrainingFixtures.options(shuffle: true, seed: 11))
        let c = try TrainingFixtures.text(TrainingFixtures.options(shuffle: true, seed: 12))
        for epoch in 0..<4 {
            #expect(a.order(epoch: epoch) == b.order(epoch: epoch))
            #expect(a.order(epoch: epoch).sorted() == Array(0..<7))
        }
        let orders = (0..<4).map { a.order(epoch: $0) }
        #expect(Set(orders).count > 1, "every epoch got the same order: \(orders)")
        #expect((0..<4).map { c.order(epoch: $0) } != orders)
        #expect(try TrainingFixtures.text(TrainingFixtures.options(shuffle: false)).order(epoch: 3) == Array(0..<7))
    }

    @Test func shuffledParaphraseDrawsAnotherCaptionOfTheSameImagePerEpoch() throws {
        let a = try TrainingFixtures.text(TrainingFixtures.options(shuffle: true, seed: 5))
        let b = try TrainingFixtures.text(TrainingFixtures.options(shuffle: true, seed: 5))
        let siblings: [Int: Set<Int>] = [0: [2, 5], 2: [0, 5], 5: [0, 2], 1: [4], 4: [1], 3: [6], 6: [3]]
        var seen: Set<Int> = []
        for epoch in 0..<40 {
            for sample in 0..<7 {
                let row = a.inputRow(sample: sample, epoch: epoch)
                #expect(siblings[sample]!.contains(row), "sample \(sample) fed row \(row)")
                #expect(row == b.inputRow(sample: sample, epoch: epoch))
                if sample == 0 { seen.insert(row) }
            }
        }
        #expect(seen == [2, 5])   // redrawn per epoch: both other captions of image 1 occur
    }

    @Test func batchKOfEpochEEqualsTheKthBatchOfAFullPass() throws {
        for noise in [0.0, 0.02] {
            let data = try TrainingFixtures.text(TrainingFixtures.options(batch: 2, shuffle: true, normalize: true,
                                                                          noise: noise, epochs: 3, seed: 3))
            var step = 0
            for e in 0..<3 {
                let pass = data.epoch(e)
                for k in 0..<pass.batchCount {
                    let full = pass.batch(k)
                    for direct in [data.batch(epoch: e, index: k), data.batch(step: step)] {
                        #expect(direct.samples == full.samples && direct.inputRows == full.inputRows)
                        #expect(direct.inputs.scalars == full.inputs.scalars)
                        #expect(direct.targets == full.targets && direct.step == step && direct.epoch == e && direct.index == k)
                    }
                    #expect(full.samples == Array(pass.order[(2 * k)..<(2 * k + 2)]))
                    step += 1
                }
            }
        }
    }
}

struct TrainingInputTests {
    @Test func normalizePrefixScalesRowsToUnitLength() throws {
        let data = try TrainingFixtures.text(TrainingFixtures.options(.same, batch: 2, normalize: true))
        let batch = data.batch(step: 0)
        // rows 0 and 1: (1, 2, 0, −1)/√6 and (2, 2, 0, −1)/3
        let s6 = Float(6).squareRoot()
        expectClose(batch.inputs.scalars, [1 / s6, 2 / s6, 0, -1 / s6, 2 / 3, 2 / 3, 0, -1 / 3], atol: 1e-7)
    }

    @Test func noiseIsSeededPerStepAndStaysOnTheSphere() throws {
        let noisy = try TrainingFixtures.text(TrainingFixtures.options(.same, batch: 7, normalize: false, noise: 0.01, epochs: 3))
        let again = try TrainingFixtures.text(TrainingFixtures.options(.same, batch: 7, normalize: false, noise: 0.01, epochs: 3))
        let clean = try TrainingFixtures.text(TrainingFixtures.options(.same, batch: 7, normalize: true, epochs: 3))
        let reseeded = try TrainingFixtures.text(TrainingFixtures.options(.same, batch: 7, normalize: false, noise: 0.01, epochs: 3, seed: 9))
        let s0 = noisy.batch(step: 0).inputs.scalars, s1 = noisy.batch(step: 1).inputs.scalars
        #expect(s0 == again.batch(step: 0).inputs.scalars)          // same seed, same step: same noise
        #expect(s0 != s1)                                           // same samples, another step: other noise
        #expect(s0 != reseeded.batch(step: 0).inputs.scalars)
        let unit = clean.batch(step: 0).inputs.scalars
        #expect(s0 != unit)
        for r in 0..<7 {
            let row = s0[(4 * r)..<(4 * r + 4)]
            let norm = row.reduce(0.0) { (sum: Double, x: Float) in sum + Double(x) * Double(x) }.squareRoot()
            #expect(abs(norm - 1) < 1e-6)
            // σ = 0.1 per component on a unit vector: the direction moves, but not far.
            var squared = 0.0
            for (a, b) in zip(row, unit[(4 * r)..<(4 * r + 4)]) { squared += Double(a - b) * Double(a - b) }
            let distance = squared.squareRoot()
            #expect(distance > 0 && distance < 0.8)
        }
    }

    @Test func longCaptionsAreTruncatedAndCounted() throws {
        let data = try TrainingFixtures.text(TrainingFixtures.options(maxTokens: 3))
        // "b1 long" (7 bytes) and "a3 longer" (9 bytes) exceed 3 tokens; the others have 2.
        #expect(data.truncatedCaptions == 2)
        #expect(data.targets[1] == [98, 49, 32, 256] && data.targets[5] == [97, 51, 32, 256])
        #expect(data.targets[0] == TrainingFixtures.target("a1"))
        #expect(try TrainingFixtures.text(TrainingFixtures.options(maxTokens: 9)).truncatedCaptions == 0)
    }

    /// With the real GPT-2 vocabulary, the appended stop token is 50256.
    static let realVocabulary: URL? = Vocabularies.gpt2

    @Test(.enabled(if: Self.realVocabulary != nil, Comment(rawValue: Vocabularies.missing("gpt2"))))
    func realVocabularyAppendsEndOfText() throws {
        let tokenizer = try GPT2Tokenizer(directory: #require(Self.realVocabulary))
        let dir = try TrainingFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try TrainingData(textStore: TrainingFixtures.textStore(in: dir), tokenizer: tokenizer, prefixSize: 4,
                                    options: TrainingFixtures.options())
        #expect(data.targets[0] == tokenizer.encode("a1") + [50256])
    }
}

struct TrainingImageTests {
    @Test func oneSamplePerImageAndCaption() throws {
        let dir = try TrainingFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try TrainingFixtures.imageStore(in: dir, images: [1, 2])
        let captions = [CaptionRecord(imageId: .int(2), captionId: .int(0), caption: "x"),
                        CaptionRecord(imageId: .int(1), captionId: .int(1), caption: "y"),
                        CaptionRecord(imageId: .int(5), captionId: .int(2), caption: "unused"),
                        CaptionRecord(imageId: .int(1), captionId: .int(3), caption: "z")]
        let data = try TrainingData(imageStore: store, captions: captions, captionsFile: "caps.csv",
                                    tokenizer: TrainingFixtures.tokenizer(), prefixSize: 4,
                                    options: TrainingFixtures.options(.paraphrase, batch: 3))
        #expect(data.modality == .image && data.sampleCount == 3)
        #expect(data.imageIds == [.int(1), .int(1), .int(2)])
        #expect(data.targets == ["y", "z", "x"].map(TrainingFixtures.target))
        let batch = data.batch(step: 0)
        #expect(batch.inputRows == [0, 0, 1])   // the image embedding, whatever the pairing
        #expect(batch.inputs.scalars == [1, 2, 0, -1, 1, 2, 0, -1, 2, 2, 0, -1])
    }

    @Test func loadReadsTheStoreAndTheTrainingSplitCaptions() throws {
        let dir = try TrainingFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TrainingFixtures.imageStore(in: dir, images: [1, 2])
        _ = try TrainingFixtures.textStore(in: dir)
        let dataset = dir.appendingPathComponent("caps.csv")
        try "image_id,caption,split\n1,one,train\n2,two,train\n2,held out,test\n1,uno,train\n"
            .write(to: dataset, atomically: true, encoding: .utf8)
        let images = try TrainingData.load(store: dir.appendingPathComponent("image.safetensors"), modality: .image,
                                           dataset: dataset, splits: ["train"], tokenizer: TrainingFixtures.tokenizer(),
                                           prefixSize: 4, options: TrainingFixtures.options(batch: 1))
        #expect(images.targets == ["one", "uno", "two"].map(TrainingFixtures.target))
        #expect(images.storeFile == dir.appendingPathComponent("image.safetensors").path)
        let texts = try TrainingData.load(store: dir.appendingPathComponent("text.safetensors"), modality: .text,
                                          dataset: dataset, splits: ["train"], tokenizer: TrainingFixtures.tokenizer(),
                                          prefixSize: 4, options: TrainingFixtures.options())
        #expect(texts.sampleCount == 7)
    }
}

struct TrainingDataErrorTests {
    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "(no error)" } catch { return "\(error)" }
    }

    @Test func everyErrorNamesTheFileAndTheCulprit() throws {
        let dir = try TrainingFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try TrainingFixtures.tokenizer()
        let text = try TrainingFixtures.textStore(in: dir)
        let image = try TrainingFixtures.imageStore(in: dir, images: [1, 2, 3])
        let textFile = dir.appendingPathComponent("text.safetensors").path
        let textSidecar = dir.appendingPathComponent("text.jsonl").path
        let imageSidecar = dir.appendingPathComponent("image.jsonl").path
        let opts = TrainingFixtures.options()

        #expect(Self.message { _ = try TrainingData(textStore: text, tokenizer: tok, prefixSize: 512, options: opts) }
                == "\(textFile): embeddings are 4 wide, but the mapper's prefix_size is 512 (embed with the CLIP the model uses)")
        #expect(Self.message { _ = try TrainingData(textStore: image, tokenizer: tok, prefixSize: 4, options: opts) }
                == "\(imageSidecar): an image store (rows carry 'path'); train.modality text needs a text store (rows carry 'caption')")
        #expect(Self.message { _ = try TrainingData(imageStore: text, captions: [], captionsFile: "c.json", tokenizer: tok, prefixSize: 4, options: opts) }
                == "\(textSidecar): a text store (rows carry 'caption'); train.modality image needs an image store (rows carry 'path')")
        let captions = [CaptionRecord(imageId: .int(1), captionId: .int(0), caption: "one"),
                        CaptionRecord(imageId: .int(3), captionId: .int(1), caption: "three")]
        #expect(Self.message { _ = try TrainingData(imageStore: image, captions: captions, captionsFile: "c.json", tokenizer: tok, prefixSize: 4, options: opts) }
                == "\(imageSidecar): image 2 has no captions in c.json")
        #expect(Self.message { _ = try TrainingData(textStore: text, tokenizer: tok, prefixSize: 4, options: TrainingFixtures.options(batch: 8)) }
                == "\(textFile): 7 training samples make no batch of 8 (train.batch_size)")

        let lonelyDir = dir.appendingPathComponent("lonely")
        try FileManager.default.createDirectory(at: lonelyDir, withIntermediateDirectories: true)
        let lonely = try TrainingFixtures.textStore(in: lonelyDir, rows: [(1, "a"), (1, "b"), (7, "only")])
        #expect(Self.message { _ = try TrainingData(textStore: lonely, tokenizer: tok, prefixSize: 4, options: TrainingFixtures.options(batch: 1)) }
                == "\(lonelyDir.appendingPathComponent("text.jsonl").path): image 7 has 1 caption; pairing paraphrase needs at least 2 per image (use train.pairing same)")

        let emptyURL = dir.appendingPathComponent("empty.safetensors")
        try EmbeddingStore.write(embeddings: Tensor(zeros: [0, 4]), rows: [CaptionRecord](), to: emptyURL)
        let empty = try EmbeddingStore.read(emptyURL)
        #expect(Self.message { _ = try TrainingData(textStore: empty, tokenizer: tok, prefixSize: 4, options: opts) }
                == "\(emptyURL.path): the embedding store has no rows; training needs at least one batch")

        // A store built in memory has not been through EmbeddingStore.read's row-count check.
        let uneven = EmbeddingStore(embeddings: TrainingFixtures.embeddings(rows: 3), rows: Array(text.rows.prefix(2)))
        #expect(throws: DataError.rowCountMismatch(file: "(in-memory embedding store)", rows: 2, embeddings: 3)) {
            try TrainingData(textStore: uneven, tokenizer: tok, prefixSize: 4, options: opts)
        }
    }

    @Test func typedErrorsCompare() {
        #expect(TrainingDataError.tooFewCaptions(file: "f", imageId: .string("x.jpg"), count: 0).description
                == "f: image x.jpg has 0 captions; pairing paraphrase needs at least 2 per image (use train.pairing same)")
        #expect(TrainingDataError.noBatches(file: "f", samples: 1, batchSize: 2).description
                == "f: 1 training sample makes no batch of 2 (train.batch_size)")
    }
}
