import Foundation
import Tensor
import Models

/// Captions from ClipCap prefixes: greedy, beam search (official ClipCap ranking) or seeded sampling over
/// GPT-2 with a KV cache, for a whole batch at once.
///
/// The decoder input is [prefix (P × C); start-token embeddings], then each generated token is fed back.
/// Every step runs one GPT-2 forward for all rows (B rows; B·N for beam search) and computes logits for the
/// last position only.
///
/// Returned token lists (one per batch row) hold the start tokens, then the generated tokens up to and
/// including the stop token (as transformers' `generate` returns them before its padding, and as the official
/// ClipCap decodes `tokens[:length]`). A row that meets no stop token holds `maxLength` generated tokens. To
/// get the text, `GPT2Tokenizer.decode(tokens, skipSpecialTokens: true)` drops `<|endoftext|>` and keeps the
/// final "." of the `period` rule.
public struct CaptionDecoder {
    public let gpt2: GPT2

    public init(gpt2: GPT2) { self.gpt2 = gpt2 }

    /// Decodes every row of `prefix` (B, P, C); see the type's notes for what the token lists hold.
    public func decode(prefix: Tensor, options: DecodingOptions) throws -> [[Int]] {
        try validate(prefix: prefix, options: options)
        let b = prefix.shape[0]
        if options.maxLength == 0 { return Array(repeating: options.startTokens, count: b) }
        switch options.strategy {
        case .greedy, .sample:
            return try decodeRowwise(prefix: prefix, options: options)
        case let .beam(width):
            var search = BeamSearch(gpt2: gpt2, width: width, options: options)
            return try search.run(prefix: prefix)
        }
    }

    /// Positions one decode call uses: the prefix, the start tokens and every generated token but the last
    /// (which is never fed back).
    static func positions(prefixLength: Int, options: DecodingOptions) -> Int {
        prefixLength + options.startTokens.count + max(options.maxLength - 1, 0)
    }

    private func validate(prefix: Tensor, options: DecodingOptions) throws {
        let config = gpt2.config
        guard prefix.rank == 3, prefix.shape[0] >= 1, prefix.shape[1] >= 1, prefix.shape[2] == config.embeddingSize else {
            throw CaptionDecodingError.invalidPrefix(shape: prefix.shape, embeddingSize: config.embeddingSize)
        }
        guard options.maxLength >= 0 else {
            throw CaptionDecodingError.invalidOption(name: "max_length", reason: "\(options.maxLength) is negative")
        }
        if let bad = options.startTokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            throw CaptionDecodingError.tokenOutsideVocabulary(token: bad, vocabularySize: config.vocabSize)
        }
        switch options.strategy {
        case .greedy: break
        case let .beam(width):
            guard width >= 1, width <= config.vocabSize else {
                throw CaptionDecodingError.invalidOption(name: "beam_size", reason: "\(width) is not in 1...\(config.vocabSize)")
            }
        case let .sample(temperature, topP, _):
            guard temperature >= 0, temperature.isFinite else {
                throw CaptionDecodingError.invalidOption(name: "temperature", reason: "\(temperature) is not a finite value ≥ 0")
            }
            guard topP > 0, topP <= 1 else {
                throw CaptionDecodingError.invalidOption(name: "top_p", reason: "\(topP) is not in (0, 1]")
            }
        }
        let needed = Self.positions(prefixLength: prefix.shape[1], options: options)
        guard needed <= config.positions else {
            throw CaptionDecodingError.sequenceTooLong(positions: needed, limit: config.positions)
        }
    }

    /// Greedy and sampling: one token per row per step. A finished row keeps being fed its stop token (its
    /// cache rows cannot be dropped) and its logits are ignored; the loop ends when every row has finished.
    private func decodeRowwise(prefix: Tensor, options: DecodingOptions) throws -> [[Int]] {
        let b = prefix.shape[0], v = gpt2.config.vocabSize
        var forward = IncrementalForward(gpt2: gpt2, rows: b,
                                         capacity: Self.positions(prefixLength: prefix.shape[1], options: options))
        var logits = try forward.start(prefix: prefix, startTokens: options.startTokens)
        var chooser = TokenChooser(strategy: options.strategy, rows: b, vocabularySize: v)
        var captions = [[Int]](repeating: options.startTokens, count: b)
        for r in 0..<b { captions[r].reserveCapacity(options.startTokens.count + options.maxLength) }
        var finished = [Bool](repeating: false, count: b)
        var next = [Int32](repeating: 0, count: b)
        for step in 0..<options.maxLength {
            for r in 0..<b where !finished[r] {
                let token = chooser.choose(row: r, logits: logits.data + r * v, count: v)
                captions[r].append(token)
                next[r] = Int32(token)
                if options.stopTokens.contains(token) { finished[r] = true }
            }
            if step == options.maxLength - 1 || !finished.contains(false) { break }
            logits = try forward.step(next)
        }
        return captions
    }
}

/// Picks one row's next token for greedy decoding or sampling; each row has its own generator.
struct TokenChooser {
    private let temperature: Float, topP: Float
    private let sampling: Bool
    private var generators: [SeededRNG] = []
    private var sampler: NucleusSampler

    init(strategy: DecodingStrategy, rows: Int, vocabularySize: Int) {
        if case let .sample(t, p, seed) = strategy {
            (temperature, topP, sampling) = (t, p, true)
            generators = (0..<rows).map { SeededRNG(seed: seed &+ UInt64($0)) }
        } else {
            (temperature, topP, sampling) = (0, 1, false)
        }
        sampler = NucleusSampler(vocabularySize: sampling ? vocabularySize : 0)
    }

    mutating func choose(row: Int, logits: UnsafePointer<Float>, count: Int) -> Int {
        guard sampling else { return argmax(logits, count) }
        return sampler.sample(logits, count, temperature: temperature, topP: topP, rng: &generators[row])
    }
}
