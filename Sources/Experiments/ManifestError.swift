import Foundation

/// Where a manifest value came from: a line of the YAML file, or a `--set` override.
public enum ManifestLocation: Equatable, Sendable, CustomStringConvertible {
    case line(Int, file: String)
    /// The override as given, `key.path=value`.
    case override(String)

    /// "at line 12 of FILE" or "in --set train.lr=1e-4".
    public var description: String {
        switch self {
        case .line(let line, let file): return "at line \(line) of \(file)"
        case .override(let text): return "in --set \(text)"
        }
    }
}

/// A manifest that cannot be used; every description is one line naming the key path and where it is.
public enum ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest file could not be read.
    case unreadable(file: String, reason: String)
    /// The text is not YAML (or an override's value is not).
    case malformedYAML(location: ManifestLocation, problem: String)
    /// The document is not a mapping of keys.
    case notAMapping(location: ManifestLocation)
    /// A key the manifest does not have; `suggestion` is the closest known key path.
    case unknownKey(path: String, location: ManifestLocation, suggestion: String?)
    /// A key given twice in one mapping.
    case duplicateKey(key: String, location: ManifestLocation)
    /// A required key (only `name`) is absent.
    case missingKey(path: String, location: ManifestLocation)
    /// A value of the wrong type, not among the choices, or out of range.
    case invalidValue(path: String, location: ManifestLocation, expected: String, found: String)
    /// A `--set` argument that is not `key.path=value`.
    case badOverride(String)
    /// A path the run needs does not exist; `hint` says what to download or make, and where.
    case missingPath(key: String, path: String, hint: String)
    /// `contentHash(of:)` was asked for a key path the manifest does not have.
    case unknownHashKey(String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return oneLine("\(file): cannot read the manifest: \(reason)")
        case .malformedYAML(let location, let problem):
            return oneLine("malformed YAML \(location): \(problem)")
        case .notAMapping(let location):
            return "a manifest must be a YAML mapping of keys (name: ..., train: ...) \(location)"
        case .unknownKey(let path, let location, let suggestion):
            return "unknown key \(path) \(location)" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .duplicateKey(let key, let location):
            return "duplicate key \(key) \(location); each key may appear once per section"
        case .missingKey(let path, let location):
            return "missing required key \(path) \(location)"
        case .invalidValue(let path, let location, let expected, let found):
            return oneLine("\(path) \(location): expected \(expected), found \(found)")
        case .badOverride(let text):
            return "--set \(text): expected key.path=value (for example train.lr=1e-4)"
        case .missingPath(let key, let path, let hint):
            return "\(key): \(path) not found; \(hint)"
        case .unknownHashKey(let path):
            return "no manifest key \(path) to hash"
        }
    }
}

/// Diagnostics are one line; YAML problems and file errors may carry newlines.
private func oneLine(_ s: String) -> String {
    s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.joined(separator: " ")
}
