import Foundation

/// Learns a GPT-2-format byte-level BPE vocabulary from a corpus, for small worlds whose captions
/// need no 50k-token vocabulary.
///
/// Texts are split into words by GPT-2's pre-tokenizer (`GPT2Tokenizer.forEachWord`), each word's UTF-8
/// bytes become byte characters (`ByteUnicodeMap`), and merges are learned as in Sennrich et al.: the
/// most frequent adjacent pair over all word occurrences is merged, again and again, while some pair
/// occurs at least twice. Ties go to the pair of smaller (left id, right id), so training is deterministic.
///
/// The vocabulary is the 256 byte characters in GPT-2's order (ids 0…255: sorted by scalar, so printable
/// bytes first, as `vocab.json` of GPT-2 has them), then one token per merge in merge order, then
/// `<|endoftext|>` last, as in GPT-2. `GPT2Tokenizer` loads the written folder.
public struct BPETrainer: Sendable {
    /// The learned vocabulary: token strings in id order.
    public private(set) var tokens: [String]
    /// The learned merges, in rank order.
    public private(set) var merges: [(left: String, right: String)]

    /// Learns at most `mergeCount` merges from `texts`.
    public init(texts: [String], mergeCount: Int) {
        let byteScalars = ByteUnicodeMap.scalars.sorted { $0.value < $1.value }
        tokens = byteScalars.map { String(Character($0)) }
        merges = []
        var idOfByte = [Int32](repeating: 0, count: 256)  // byte value → its token's id
        for (id, scalar) in byteScalars.enumerated() {
            if let b = ByteUnicodeMap.byte(for: scalar) { idOfByte[Int(b)] = Int32(id) }
        }

        // Distinct words (as byte-character ids) with their counts, in first-seen order.
        var wordIndex: [[UInt8]: Int] = [:]
        var words: [[Int32]] = [], counts: [Int] = []
        var scalars: [Unicode.Scalar] = [], classes: [ScalarClass] = [], bytes: [UInt8] = []
        for text in texts {
            scalars.removeAll(keepingCapacity: true); classes.removeAll(keepingCapacity: true)
            for s in text.unicodeScalars { scalars.append(s); classes.append(ScalarClass.of(s)) }
            GPT2Tokenizer.forEachWord(scalars, classes) { range in
                bytes.removeAll(keepingCapacity: true)
                for i in range { bytes.appendUTF8(scalars[i]) }
                if let k = wordIndex[bytes] {
                    counts[k] += 1
                } else {
                    wordIndex[bytes] = words.count
                    words.append(bytes.map { idOfByte[Int($0)] })
                    counts.append(1)
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
        tokens.append(GPT2Tokenizer.endToken)
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
