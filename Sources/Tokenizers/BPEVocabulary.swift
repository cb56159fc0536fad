import Foundation

/// The contents of an HF byte-level BPE folder: `vocab.json` (token → id) and `merges.txt`
/// (an optional `#version` header, then one `left right` pair per line, in rank order).
struct BPEVocabulary {
    /// Token string → id, as written in `vocab.json`.
    var tokenToId: [String: Int]
    /// id → token string; nil for ids that no token uses.
    var idToToken: [String?]
    /// The merge pairs in rank order (rank = index), with their line in `merges.txt` for error messages.
    var merges: [(left: String, right: String, line: Int)]
    /// Where they came from, for error messages.
    var vocabularyURL: URL
    var mergesURL: URL

    /// Reads `vocab.json` and `merges.txt` from `directory`.
    static func load(directory: URL) throws -> BPEVocabulary {
        try load(vocabularyURL: directory.appendingPathComponent("vocab.json"),
                 mergesURL: directory.appendingPathComponent("merges.txt"))
    }

    static func load(vocabularyURL: URL, mergesURL: URL) throws -> BPEVocabulary {
        let tokenToId = try readVocabulary(vocabularyURL)
        let merges = try readMerges(mergesURL)
        let maxId = tokenToId.values.max() ?? -1
        var idToToken = [String?](repeating: nil, count: maxId + 1)
        for (token, id) in tokenToId {
            if let other = idToToken[id] {
                throw TokenizerError.malformedVocabulary(
                    vocabularyURL, reason: "tokens \(other.debugDescription) and \(token.debugDescription) share id \(id)")
            }
            idToToken[id] = token
        }
        return BPEVocabulary(tokenToId: tokenToId, idToToken: idToToken, merges: merges,
                             vocabularyURL: vocabularyURL, mergesURL: mergesURL)
    }

    private static func readData(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TokenizerError.fileNotFound(url)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(url, reason: "\(error.localizedDescription)")
        }
    }

    /// Byte-level vocabularies hold strings over the 256 byte characters (none of them combining marks), so
    /// no two tokens are canonically equivalent and Swift's `String` equality keeps them apart.
    private static func readVocabulary(_ url: URL) throws -> [String: Int] {
        let data = try readData(url)
        let vocabulary: [String: Int]
        do {
            vocabulary = try JSONDecoder().decode([String: Int].self, from: data)
        } catch {
            throw TokenizerError.malformedVocabulary(url, reason: "expected a JSON object of token → integer id (\(error))")
        }
        if vocabulary.isEmpty { throw TokenizerError.malformedVocabulary(url, reason: "no tokens") }
        if let bad = vocabulary.first(where: { $0.value < 0 || $0.value > Int(Int32.max) }) {
            throw TokenizerError.malformedVocabulary(url, reason: "token \(bad.key.debugDescription) has id \(bad.value)")
        }
        return vocabulary
    }

    /// Matches HF `tokenizers`: lines starting with `#version` are skipped, every other line must split on a
    /// single space into exactly two symbols. Blank lines (a trailing newline, CRLF endings) are tolerated.
    private static func readMerges(_ url: URL) throws -> [(left: String, right: String, line: Int)] {
        let data = try readData(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableFile(url, reason: "not valid UTF-8")
        }
        var merges: [(left: String, right: String, line: Int)] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.utf8.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerges(url, line: lineNumber, reason: "expected two symbols separated by one space")
            }
            merges.append((String(parts[0]), String(parts[1]), lineNumber))
        }
        return merges
    }
}
