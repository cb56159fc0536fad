import Foundation

/// Errors from `CaptionDecoder`; each names the input or option at fault. (Not `DecodingError`, which is
/// Swift's `Codable` error.)
public enum CaptionDecodingError: Error, Equatable, CustomStringConvertible {
    /// The prefix is not (B, P, C) with B ≥ 1, P ≥ 1 and C the model's embedding size.
    case invalidPrefix(shape: [Int], embeddingSize: Int)
    /// An option outside its range, e.g. a beam width of 0 or a top-p of 1.5.
    case invalidOption(name: String, reason: String)
    /// A start token that is not in the model's vocabulary.
    case tokenOutsideVocabulary(token: Int, vocabularySize: Int)
    /// prefix + start tokens + maxLength − 1 positions do not fit the model's position embeddings.
    case sequenceTooLong(positions: Int, limit: Int)
    /// A stop rule whose text the tokenizer encodes to nothing.
    case noStopToken(String)

    public var description: String {
        switch self {
        case let .invalidPrefix(shape, c):
            return "prefix has shape \(shape), expected (batch, prefix_length, \(c)) with batch and prefix_length ≥ 1"
        case let .invalidOption(name, reason):
            return "decoding option \(name): \(reason)"
        case let .tokenOutsideVocabulary(token, size):
            return "start token \(token) is outside the vocabulary of \(size)"
        case let .sequenceTooLong(positions, limit):
            return "prefix, start tokens and max_length need \(positions) positions; the model has \(limit)"
        case let .noStopToken(text):
            return "the tokenizer encodes the stop text \(text.debugDescription) to no token"
        }
    }
}
