import Foundation
import Models
import Tokenizers

/// How the next token is chosen at each step.
public enum DecodingStrategy: Sendable, Equatable {
    /// The most likely token (transformers' `generate(do_sample: false, num_beams: 1)`; the official ClipCap
    /// `generate2`, whose top-p filter never removes the argmax).
    case greedy
    /// `width` beams per batch row, ranked as the official ClipCap `generate_beam` ranks them: by summed
    /// log-probability divided by the number of generated tokens (the stop token counted), with stopped beams
    /// keeping their slot. See `BeamSearch`.
    case beam(width: Int)
    /// Sampling from softmax(logits / temperature), restricted to the top-p nucleus (the smallest set of most
    /// likely tokens whose probability reaches `topP`, as transformers' `TopPLogitsWarper`). Temperature 0 is
    /// greedy. Batch row r draws from `SeededRNG(seed: seed &+ r)`, so a row's caption depends on its seed and
    /// its own prefix only, never on the other rows.
    case sample(temperature: Float, topP: Float, seed: UInt64)
}

extension StopRule {
    /// The stop-token ids this rule means for `tokenizer`.
    public func tokenIds(using tokenizer: GPT2Tokenizer) throws -> Set<Int> {
        switch self {
        case .eos:
            return [tokenizer.eosTokenId]
        case .period:
            guard let id = tokenizer.encode(".").first else { throw CaptionDecodingError.noStopToken(".") }
            return [id]
        }
    }
}

/// Everything a decode call needs besides the prefix.
public struct DecodingOptions: Sendable, Equatable {
    /// The official ClipCap's `entry_length`.
    public static let defaultMaxLength = 67

    public var strategy: DecodingStrategy
    /// The most tokens generated after the start tokens, the stop token included.
    public var maxLength: Int
    /// Generation of a row ends when it produces one of these (resolve them with `StopRule.tokenIds(using:)`).
    /// Start tokens never stop a row. Empty: every row runs to `maxLength`.
    public var stopTokens: Set<Int>
    /// GPT-2 ids of the words every caption must begin with (human in the loop). Their embeddings follow
    /// the prefix, generation continues from them, and they begin every returned token list.
    public var startTokens: [Int]

    public init(strategy: DecodingStrategy = .beam(width: 5), maxLength: Int = DecodingOptions.defaultMaxLength,
                stopTokens: Set<Int>, startTokens: [Int] = []) {
        self.strategy = strategy
        self.maxLength = maxLength
        self.stopTokens = stopTokens
        self.startTokens = startTokens
    }

    /// Options with the stop rule and the start words resolved through `tokenizer`. The start words are
    /// trimmed of surrounding white space and encoded as the beginning of a caption (no leading space), as
    /// captions are tokenized for training.
    public init(strategy: DecodingStrategy = .beam(width: 5), maxLength: Int = DecodingOptions.defaultMaxLength,
                stop: StopRule, startWords: String = "", tokenizer: GPT2Tokenizer) throws {
        self.init(strategy: strategy, maxLength: maxLength, stopTokens: try stop.tokenIds(using: tokenizer),
                  startTokens: tokenizer.encode(startWords.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
