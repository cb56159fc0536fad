/// Errors of the world generator and its scoring. Each description is one line; those about a file
/// start with the file, like a compiler diagnostic.
public enum WorldError: Error, CustomStringConvertible, Equatable {
    /// A generator setting that cannot produce a world (no images, more val + test than images, ...).
    case badConfig(String)
    /// Pixels that cannot be encoded.
    case badImage(reason: String)
    /// A file that cannot be read or does not hold what it should.
    case malformed(file: String, reason: String)
    /// A result for an image the attributes file does not describe.
    case unknownImage(file: String, imageId: String)
    /// Writing an output failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .badConfig(let reason): return "invalid world settings: \(reason)"
        case .badImage(let reason): return reason
        case .malformed(let file, let reason): return "\(file): \(reason)"
        case .unknownImage(let file, let id): return "\(file): image \(id) is not in the attributes file"
        case .writeFailed(let path, let reason): return "\(path): cannot write: \(reason)"
        }
    }
}
