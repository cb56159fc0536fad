import Foundation

/// Errors from reading datasets, image lists and embedding stores. Every description is one line that
/// starts with the file (and `:LINE` where a line applies), like a compiler diagnostic.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file or folder does not exist.
    case missingFile(String)
    /// The file exists but could not be read (permissions, a folder where a file was expected, ...).
    case unreadable(file: String, reason: String)
    /// The content is not what its format requires; `line` is 1-based, nil for whole-file problems.
    case malformed(file: String, line: Int?, reason: String)
    /// A required key or column is absent or has the wrong type. `key` may be a path, as in
    /// `images[3].sentences[0].raw`.
    case missingKey(file: String, line: Int?, key: String, reason: String)
    /// The extension or content matches none of the formats we read.
    case unsupportedFormat(file: String, reason: String)
    /// Reading succeeded but found no captions (after filtering by `splits`, when given).
    case noCaptions(file: String, splits: [String]?)
    /// Reading succeeded but found no images (after filtering by `splits`, when given).
    case noImages(path: String, splits: [String]?)
    /// A dataset file names images relative to a folder that the caller did not give.
    case imagesRootRequired(file: String)
    /// An embedding store whose sidecar row count differs from the number of embeddings.
    case rowCountMismatch(file: String, rows: Int, embeddings: Int)
    /// An embedding store tensor that is not [N, D].
    case badShape(file: String, tensor: String, shape: [Int])
    /// A store path that does not end in `.safetensors`.
    case badStorePath(String)

    public var description: String {
        let text: String
        switch self {
        case .missingFile(let f):
            text = "\(f): no such file or folder"
        case .unreadable(let f, let reason):
            text = "\(f): cannot read: \(reason)"
        case .malformed(let f, let line, let reason):
            text = "\(located(f, line)): \(reason)"
        case .missingKey(let f, let line, let key, let reason):
            text = "\(located(f, line)): key '\(key)' \(reason)"
        case .unsupportedFormat(let f, let reason):
            text = "\(f): unsupported format: \(reason)"
        case .noCaptions(let f, let splits):
            text = "no captions in \(f)\(splitNote(splits))"
        case .noImages(let p, let splits):
            text = "no images in \(p)\(splitNote(splits))"
        case .imagesRootRequired(let f):
            text = "\(f): this dataset names images relative to a folder; pass the images folder (imagesRoot)"
        case .rowCountMismatch(let f, let rows, let embeddings):
            text = "\(f): \(rows) rows for \(embeddings) embeddings; a store needs exactly one row per embedding"
        case .badShape(let f, let tensor, let shape):
            text = "\(f): tensor '\(tensor)' has shape \(shape); an embedding store needs [N, D]"
        case .badStorePath(let f):
            text = "\(f): an embedding store path must end in .safetensors"
        }
        return oneLine(text)
    }
}

private func located(_ file: String, _ line: Int?) -> String {
    line.map { "\(file):\($0)" } ?? file
}

private func splitNote(_ splits: [String]?) -> String {
    guard let splits else { return "" }
    return " for splits [\(splits.joined(separator: ", "))]"
}

/// Messages from Foundation may span lines; a diagnostic must not.
func oneLine(_ s: String) -> String {
    guard s.contains(where: \.isNewline) else { return s }
    return s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
}
