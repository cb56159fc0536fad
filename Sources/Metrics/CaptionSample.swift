/// One image's captions after tokenization, as pycocoevalcap's scorers receive them: the candidate and
/// the references, each a space-separated string of PTB tokens (see `PTBTokenizer.tokenizeCaptions`).
public struct CaptionSample: Sendable, Equatable {
    public var candidate: String
    public var references: [String]

    public init(candidate: String, references: [String]) {
        self.candidate = candidate
        self.references = references
    }
}
