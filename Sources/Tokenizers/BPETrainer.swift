import Foundation

/// Learns a byte-level BPE vocabulary from a corpus, in GPT-2's or CLIP's format, for small worlds whose
/// captions need no 50k-token vocabulary.
///
/// Texts are split into words by the format's pre-tokenizer (`GPT2Tokenizer.forEachWord`; for CLIP, CLIP's
/// normalizer, which lowercases, then `CLIPTokenizer.forEachWord`), each word's UTF-8 bytes become byte
/// characters (`ByteUnicodeMap`), and for CLIP the word's last symbol carries the `</w>` suffix. Merges are
/// learned as in Sennrich et al.: the most frequent adjacent pair over all word occurrences is merged, again
/// and again, while some pair occurs at least twice. Ties go to the pair of smaller (left id, right id), so
/// training is deterministic.
///
/// The vocabulary is laid out as the reference tokenizers' own files are:
/// - GPT-2: the 256 byte characters (ids 0…255, sorted by scalar: printable bytes first, as GPT-2's
///   `vocab.json` has them), one token per merge in merge order, then `<|endoftext|>`.
/// - CLIP: the 256 byte characters, the same 256 with `</w>`, one token per merge, then `<|startoftext|>`
///   and `<|endoftext|>`, as OpenAI's `SimpleTokenizer` builds its vocabulary.
///
/// `GPT2Tokenizer` or `CLIPTokenizer` (and transformers' classes of the same names) load the written folder.
public struct BPETrainer: Sendable {
    /// Which tokenizer the vocabulary is for.
    public enum Format: String, Sendable, CaseIterable {
        case gpt2, clip
    }

    /// The learned vocabulary: token strings in id order.
    public private(set) var tokens: [String]
    /// The learned merges, in rank order.
    public private(set) var merges: [(left: String, right: String)]

    /// Learns at most `mergeCount` merges from `texts`.
    public init(texts: [String], mergeCount: Int, format: Format = .gpt2) {
        let byteScalars = ByteUnicodeMap.scalars.sorted { $0.value < $1.value }
        tokens = byteScalars.map { String(Character($0)) }
        if format == .clip { tokens += tokens.map { $0 + CLIPTokenizer.endOfWordSuffix } }
        merges = []
        var idOfByte = [Int32](repeating: 0, count: 256)  // byte value → its token's id
        for (id, scalar) in byteScalars.enumerated() {
            if let b = ByteUnicodeMap.byte(for: scalar) { idOfByte[Int(b)] = Int32(id) }
        }

        // Distinct words (as byte-character ids) with their counts, in first-seen order.
        var wordIndex: [[UInt8]: Int] = [:]
        var words: [[Int32]] = [], counts: [Int] = []
        var scalars: [Unicode.Scalar] = [], classes: [ScalarClass] = [], bytes: [UInt8] = []
        func add(_ bytes: [UInt8]) {
            if let k = wordIndex[bytes] {
                counts[k] += 1
            } else {
                wordIndex[bytes] = words.count
                var ids = bytes.map { idOfByte[Int($0)] }
                if format == .clip, let last = ids.indices.last { ids[last] += 256 }  // the `</w>` twin
                words.append(ids)
                counts.append(1)
            }
        }
        for text in texts {
            scalars.removeAll(keepingCapacity: true)
            switch format {
            case .gpt2:
                classes.removeAll(keepingCapacity: true)
                for s in text.unicodeScalars { scalars.append(s); classes.append(ScalarClass.of(s)) }
                GPT2Tokenizer.forEachWord(scalars, classes) { range in
                    bytes.removeAll(keepingCapacity: true)
                    for i in range { bytes.appendUTF8(scalars[i]) }
                    add(bytes)
                }
            case .clip:
                CLIPTokenizer.normalize(Substring(text).unicodeScalars, into: &scalars)
                CLIPTokenizer.forEachWord(in: scalars) { range in
                    bytes.removeAll(keepingCapacity: true)
                    for i in range { bytes.appendUTF8(scalars[i]) }
                    add(bytes)
                }
            }
        }

        struct Pair: Hashable { var left: Int32; var right: Int32 }
        while merges.count < mergeCount {
            var frequency: [Pair: Int] = [:]
            for (w, word) in words.enumerated() where word.count > 1 {
                for i in 0..<(word.count - 1) { frequency[Pair(left: word[i], right: word[i + 1]), default: 0] += counts[w] }
            }
            guard let best = frequency.max(by: { a, b in
                a.value != b.value ? a.value < b.value : (a.key.left, a.key.right) > (b.key.left, b.key.right)
            }), best.value >= 2 else { break }
            let pair = best.key
            let merged = tokens[Int(pair.left)] + tokens[Int(pair.right)]
            let newId = Int32(tokens.count)
            merges.append((tokens[Int(pair.left)], tokens[Int(pair.right)]))
            tokens.append(merged)
            for w in words.indices where words[w].count > 1 {
                var out: [Int32] = []
                out.reserveCapacity(words[w].count)
                var i = 0
                while i < words[w].count {
                    if i + 1 < words[w].count, words[w][i] == pair.left, words[w][i + 1] == pair.right {
                        out.append(newId); i += 2
                    } else {
                        out.append(words[w][i]); i += 1
                    }
                }
                words[w] = out
            }
        }
        switch format {
        case .gpt2: tokens.append(GPT2Tokenizer.endToken)
        case .clip: tokens += [CLIPTokenizer.startToken, CLIPTokenizer.endToken]
        }
    }

    /// Writes `vocab.json` (token → id, in id order) and `merges.txt` (`#version: 0.2`, then one
    /// `left right` line per merge) into `directory`, each atomically.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        var json = "{"
        for (id, token) in tokens.enumerated() {
            let key = String(decoding: try encoder.encode(token), as: UTF8.self)
            json += (id == 0 ? "" : ", ") + "\(key): \(id)"
        }
        json += "}\n"
        try Data(json.utf8).write(to: directory.appendingPathComponent("vocab.json"), options: .atomic)
        let lines = ["#version: 0.2"] + merges.map { "\($0.left) \($0.right)" }
        try Data((lines.joined(separator: "\n") + "\n").utf8)
            .write(to: directory.appendingPathComponent("merges.txt"), options: .atomic)
    }
}
