import Foundation
import Yams

// Loading walks Yams' node tree, which keeps every node's line: overrides are applied to the tree, keys
// are checked against the schema (the sections' CodingKeys), and only then is the tree decoded. Any issue
// is mapped back to the node it concerns, so every message names the key path and its line.

extension Manifest {
    /// Reads and checks the manifest at `file`, then applies `overrides` (`key.path=value`, as
    /// `clipcap run --set` takes them; the value is YAML, a scalar or a flow list/mapping such as `[0,0.5,1]`;
    /// later overrides win). Throws `ManifestError`, one line naming the key path and its line (or the
    /// override it came from).
    public static func load(file: URL, overrides: [String] = []) throws -> Manifest {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ManifestError.unreadable(file: file.path, reason: error.localizedDescription)
        }
        return try Manifest(yaml: text, file: file.path, overrides: overrides)
    }

    /// Parses manifest text; `file` names it in messages. See `load(file:overrides:)`.
    public init(yaml: String, file: String = "(manifest)", overrides: [String] = []) throws {
        var root = try Self.compose(yaml, at: { .line($0, file: file) }) ?? Node.Mapping([]).node
        guard root.mapping != nil else { throw ManifestError.notAMapping(location: .line(root.mark?.line ?? 1, file: file)) }
        var applied: [ManifestOverride] = []
        for text in overrides {
            let override = try ManifestOverride(parsing: text)
            root = override.applied(to: root)
            applied.append(override)
        }
        let locator = ManifestLocator(root: root, file: file, overrides: applied)
        try Self.checkKeys(in: root, section: [], locator)
        do {
            self = try YAMLDecoder().decode(Manifest.self, from: root)
        } catch let issue as ManifestIssue {
            throw locator.error(for: issue)
        } catch let error as DecodingError {
            throw locator.error(for: error)
        }
    }

    /// The known keys of each section (`""` is the top level), from the sections' CodingKeys.
    static let schema: [String: [String]] = [
        "": CodingKeys.allCases.map(\.stringValue),
        "data": DataSettings.CodingKeys.allCases.map(\.stringValue),
        "embeddings": EmbeddingSettings.CodingKeys.allCases.map(\.stringValue),
        "model": ModelSettings.CodingKeys.allCases.map(\.stringValue),
        "train": TrainSettings.CodingKeys.allCases.map(\.stringValue),
        "decode": DecodeSettings.CodingKeys.allCases.map(\.stringValue),
        "evaluate": EvaluateSettings.CodingKeys.allCases.map(\.stringValue),
        "gap": GapSettings.CodingKeys.allCases.map(\.stringValue),
        "gap.mixup": MixupSettings.CodingKeys.allCases.map(\.stringValue),
    ]

    /// One YAML document as a node tree; nil for an empty document.
    static func compose(_ text: String, at location: (Int) -> ManifestLocation) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
                throw ManifestError.malformedYAML(location: location(mark.line), problem: detail)
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw ManifestError.duplicateKey(key: duplicates.joined(separator: ", "), location: location(context.mark.line))
            case .reader(let problem, let offset, _, _):
                let line = offset.map { o in text.utf8.prefix(o).reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } } ?? 1
                throw ManifestError.malformedYAML(location: location(line), problem: problem)
            default:
                throw ManifestError.malformedYAML(location: location(1), problem: "\(error)")
            }
        }
    }

    /// Every key of every section mapping must be in the schema. A section that is not a mapping is left
    /// to the decoder, which reports its type.
    private static func checkKeys(in node: Node, section: [String], _ locator: ManifestLocator) throws {
        guard let mapping = node.mapping else { return }
        let known = schema[section.joined(separator: ".")] ?? []
        for (key, value) in mapping {
            let path = section + [key.string ?? "\(key)"]
            let dotted = path.joined(separator: ".")
            guard known.contains(path[path.count - 1]) else {
                throw ManifestError.unknownKey(path: dotted, location: locator.location(of: path.map { .key($0) }),
                                               suggestion: suggestion(for: path[path.count - 1], in: section))
            }
            if schema[dotted] != nil { try checkKeys(in: value, section: path, locator) }
        }
    }

    /// The known key path closest to `name` by edit distance: an exact name in another section first, then
    /// the same section before others; nil when nothing is close (more than max(2, length/3) edits).
    static func suggestion(for name: String, in section: [String]) -> String? {
        let here = section.joined(separator: ".")
        var best: (distance: Int, elsewhere: Int, path: String)?
        for (sectionPath, keys) in schema {
            for key in keys {
                let candidate = (editDistance(name, key), sectionPath == here ? 0 : 1,
                                 sectionPath.isEmpty ? key : sectionPath + "." + key)
                if best.map({ candidate < $0 }) ?? true { best = candidate }
            }
        }
        guard let best, best.distance <= max(2, name.count / 3) else { return nil }
        return best.path
    }
}

/// Levenshtein distance over Unicode scalars.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        current[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// One `--set key.path=value`.
struct ManifestOverride {
    var path: [String]
    var value: Node
    /// The argument as given, for messages.
    var text: String

    init(parsing text: String) throws {
        self.text = text
        guard let eq = text.firstIndex(of: "=") else { throw ManifestError.badOverride(text) }
        path = text[..<eq].trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.contains(where: \.isEmpty) else { throw ManifestError.badOverride(text) }
        // Each step must be a known key, and every step but the last a section.
        for i in path.indices {
            let section = path[..<i].joined(separator: ".")
            guard let known = Manifest.schema[section], known.contains(path[i]) else {
                let suggestion = Manifest.schema[section] == nil ? nil : Manifest.suggestion(for: path[i], in: Array(path[..<i]))
                throw ManifestError.unknownKey(path: path[...i].joined(separator: "."), location: .override(text),
                                               suggestion: suggestion)
            }
        }
        let location = ManifestLocation.override(text)
        value = try Manifest.compose(String(text[text.index(after: eq)...]), at: { _ in location })
            ?? Node("null", Tag(.null), .plain)
    }

    /// `root` with the value set at the path; missing sections are created, and a section that is not a
    /// mapping is replaced by one.
    func applied(to root: Node) -> Node { setting(value, at: path[...], in: root) }

    private func setting(_ value: Node, at path: ArraySlice<String>, in node: Node) -> Node {
        guard let key = path.first else { return value }
        var pairs = node.mapping.map { $0.map { ($0.key, $0.value) } } ?? []
        if let i = pairs.firstIndex(where: { $0.0.string == key }) {
            pairs[i].1 = setting(value, at: path.dropFirst(), in: pairs[i].1)
        } else {
            pairs.append((Node(key), setting(value, at: path.dropFirst(), in: Node.Mapping([]).node)))
        }
        return Node.Mapping(pairs, node.mapping?.tag ?? .implicit, node.mapping?.style ?? .any, node.mark).node
    }
}

/// Finds the node of a key path, for its line and for the text a message quotes.
struct ManifestLocator {
    let root: Node
    let file: String
    let overrides: [ManifestOverride]

    /// The override that set this path (the last one wins), else its line: the key's line for a mapping
    /// value, the element's for a list element, the nearest enclosing line for a key that is absent.
    func location(of path: [ManifestPathComponent]) -> ManifestLocation {
        let keys = path.compactMap { component -> String? in
            if case .key(let k) = component { return k }
            return nil
        }
        if let override = overrides.last(where: { keys.starts(with: $0.path) }) { return .override(override.text) }
        return .line(find(path).line, file: file)
    }

    func find(_ path: [ManifestPathComponent]) -> (line: Int, node: Node?) {
        var node = root, line = root.mark?.line ?? 1
        for component in path {
            switch component {
            case .key(let k):
                guard let pair = node.mapping?.first(where: { $0.key.string == k }) else { return (line, nil) }
                line = pair.key.mark?.line ?? line
                node = pair.value
            case .index(let i):
                guard let list = node.sequence, i < list.count else { return (line, nil) }
                node = list[i]
                line = node.mark?.line ?? line
            }
        }
        return (line, node)
    }

    /// How a message quotes what was found: a scalar's text in quotes, else its kind.
    func found(at path: [ManifestPathComponent]) -> String {
        switch find(path).node {
        case .scalar(let s): return s.string.isEmpty || NSNull.construct(from: s) != nil ? "nothing" : "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case nil: return "nothing"
        }
    }

    func error(for issue: ManifestIssue) -> ManifestError {
        let location = location(of: issue.path)
        switch issue.kind {
        case .missing:
            return .missingKey(path: render(issue.path), location: location)
        case .invalid(let expected):
            return .invalidValue(path: render(issue.path), location: location, expected: expected, found: found(at: issue.path))
        }
    }

    func error(for error: DecodingError) -> ManifestError {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let path = context.codingPath.map(ManifestPathComponent.init)
            return .invalidValue(path: render(path), location: location(of: path), expected: Self.describe(type),
                                 found: found(at: path))
        case .keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(ManifestPathComponent.init)
            return .missingKey(path: render(path), location: location(of: path))
        case .dataCorrupted(let context):
            let path = context.codingPath.map(ManifestPathComponent.init)
            return .invalidValue(path: render(path), location: location(of: path), expected: context.debugDescription,
                                 found: found(at: path))
        @unknown default:
            return .malformedYAML(location: .line(1, file: file), problem: "\(error)")
        }
    }

    /// What a type expects, in a message's words.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is UInt64.Type: return "a non-negative integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is Node.Mapping.Type: return "a mapping of keys"
        case is Node.Sequence.Type: return "a list"
        case is Node.Scalar.Type: return "a single value"
        default: return "\(type)"
        }
    }
}

extension Node.Mapping {
    var node: Node { .mapping(self) }
}
