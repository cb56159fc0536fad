import Foundation

/// Errors from reading evaluation inputs and running the Java scorers. Every description is one line that
/// starts with the file at fault, like DataError's.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case missingFile(String)
    /// The file exists but its content is not what it should be.
    case malformed(file: String, reason: String)
    /// A results file lists an image twice (pycocoevalcap asserts one candidate per image).
    case duplicateImage(file: String, imageId: String)
    /// A result's image has no captions in the references file.
    case noReferences(resultsFile: String, imageId: String, referencesFile: String)
    /// A results file with no entries.
    case noResults(file: String)
    /// A Java scorer (METEOR, SPICE) failed or broke its protocol.
    case javaFailed(jar: String, reason: String)
    /// Evaluation inputs that do not fit together (not from files).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .missingFile(let file): return "\(file): no such file"
        case .malformed(let file, let reason): return "\(file): \(reason)"
        case .duplicateImage(let file, let id):
            return "\(file): image_id \(id) appears more than once (one caption per image is evaluated)"
        case .noReferences(let results, let id, let references):
            return "\(results): image_id \(id) has no reference captions in \(references)"
        case .noResults(let file): return "\(file): no results to evaluate"
        case .javaFailed(let jar, let reason): return "\(jar): \(reason)"
        case .invalidInput(let reason): return reason
        }
    }
}
