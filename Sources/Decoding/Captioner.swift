import Foundation
import Models
import Tensor
import Tokenizers

/// CLIP embeddings → caption text through a ClipCap checkpoint: the mapper's prefix (with the checkpoint's
/// normalize_prefix), GPT-2 decoding with `CaptionDecoder`, then detokenization. `clipcap caption`,
/// `clipcap decode` and the mixup sweep all caption through this one type.
///
/// ```swift
/// let captioner = try Captioner(checkpoint: URL(fileURLWithPath: "runs/demo/checkpoints/latest"))
/// let options = try captioner.options(strategy: .beam(width: 5), startWords: "a photo of")
/// let captions = try captioner.captions(for: store.embeddings, options: options)
/// ```
public struct Captioner {
    public let model: ClipCapModel
    public let tokenizer: GPT2Tokenizer
    /// The CLIP folder named by the checkpoint's clipcap.json ("clip"), resolved against the checkpoint
    /// folder; nil when it names none.
    public let clipFolder: URL?

    public init(model: ClipCapModel, tokenizer: GPT2Tokenizer, clipFolder: URL? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.clipFolder = clipFolder
    }

    /// Loads a checkpoint folder and the GPT-2 tokenizer from its GPT-2 folder (`gpt2Folder` overrides
    /// clipcap.json's). An official checkpoint without clipcap.json needs `gpt2Folder` for the tokenizer.
    public init(checkpoint: URL, gpt2Folder: URL? = nil) throws {
        let model = try ClipCapModel(folder: checkpoint, gpt2Folder: gpt2Folder)
        guard let folder = model.gpt2Folder else {
            throw ModelError.invalidConfig(file: checkpoint.appendingPathComponent("clipcap.json").path,
                                           reason: "no GPT-2 folder for the tokenizer: set \"gpt2\" in clipcap.json or pass --gpt2")
        }
        let clip = model.config.clip.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : checkpoint.appendingPathComponent($0) }
        self.init(model: model, tokenizer: try GPT2Tokenizer(directory: folder), clipFolder: clip)
    }

    /// Decoding options for this checkpoint: its stop rule unless `stop` overrides it, the start words
    /// encoded as the beginning of a caption.
    public func options(strategy: DecodingStrategy = .beam(width: 5), maxLength: Int = DecodingOptions.defaultMaxLength,
                        stop: StopRule? = nil, startWords: String = "") throws -> DecodingOptions {
        try DecodingOptions(strategy: strategy, maxLength: maxLength, stop: stop ?? model.config.stop,
                            startWords: startWords, tokenizer: tokenizer)
    }

    /// One caption per row of `embeddings` (N, prefix_size), in row order, decoded `batchSize` rows at a
    /// time. Sampling stays reproducible whatever the batch size: row i draws from seed + i.
    /// `progress` is called with the rows finished after each batch.
    public func captions(for embeddings: Tensor, options: DecodingOptions, batchSize: Int = 32,
                         progress: ((Int) -> Void)? = nil) throws -> [String] {
        guard embeddings.rank == 2, embeddings.shape[1] == model.config.prefixSize else {
            throw ModelError.invalidInput("embeddings have shape \(embeddings.shape), the checkpoint's mapper expects (N, \(model.config.prefixSize))")
        }
        guard batchSize >= 1 else { throw CaptionDecodingError.invalidOption(name: "batch_size", reason: "must be at least 1") }
        let n = embeddings.shape[0]
        let decoder = CaptionDecoder(gpt2: model.gpt2)
        var captions: [String] = []
        captions.reserveCapacity(n)
        var start = 0
        while start < n {
            let count = min(batchSize, n - start)
            var batchOptions = options
            if case let .sample(temperature, topP, seed) = options.strategy {
                batchOptions.strategy = .sample(temperature: temperature, topP: topP, seed: seed &+ UInt64(start))
            }
            let tokens = try decoder.decode(prefix: try model.prefix(embeddings.rows(start, count)), options: batchOptions)
            captions += tokens.map(text(of:))
            start += count
            progress?(count)
        }
        return captions
    }

    /// The text of a decoded token list: `<|endoftext|>` dropped, the `period` rule's final "." kept,
    /// surrounding white space trimmed.
    public func text(of tokens: [Int]) -> String {
        tokenizer.decode(tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
