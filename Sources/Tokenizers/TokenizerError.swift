import Foundation

/// Errors thrown while loading tokenizer files. Each case names the file at fault, so the CLI can print
/// one line such as `merges.txt: line 12: expected two symbols separated by one space`.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist (or is not a regular file).
    case fileNotFound(URL)
    /// The file exists but could not be read, or is not UTF-8.
    case unreadableFile(URL, reason: String)
    /// `vocab.json` is not a JSON object of token → non-negative integer id, or ids collide.
    case malformedVocabulary(URL, reason: String)
    /// A line of `merges.txt` is not `left right`, or names a token missing from the vocabulary.
    case malformedMerges(URL, line: Int, reason: String)
    /// A token the tokenizer cannot work without (a byte character, a special token) is absent.
    case missingToken(String, file: URL)

    public var description: String {
        switch self {
        case .fileNotFound(let url):
            return "\(url.path): file not found"
        case .unreadableFile(let url, let reason):
            return "\(url.path): cannot read: \(reason)"
        case .malformedVocabulary(let url, let reason):
            return "\(url.path): malformed vocabulary: \(reason)"
        case .malformedMerges(let url, let line, let reason):
            return "\(url.path): line \(line): \(reason)"
        case .missingToken(let token, let url):
            return "\(url.path): required token \(token.debugDescription) is missing"
        }
    }
}
