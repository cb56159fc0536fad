import Foundation

/// Rank-based byte-pair merging of one pre-tokenized word into token ids, with a word → ids cache.
///
/// Matches HF `tokenizers`' BPE model (no dropout): a word's bytes start as their byte-character tokens, the
/// last one carrying the end-of-word suffix when there is one (CLIP's `</w>`); then, while some adjacent pair
/// is a merge, the pair with the lowest rank is merged, the leftmost one among equal ranks. The loop runs over
/// token ids in two scratch arrays that only shrink, so a merge is a lookup and a short `memmove`.
final class BytePairEncoder: @unchecked Sendable {
    /// What merging a pair gives: its rank in `merges.txt` and the id of the joined token.
    private struct Merge {
        var rank: Int32
        var id: Int32
        static let none = Merge(rank: .max, id: -1)
    }

    /// (left id << 32 | right id) → merge.
    private let mergeTable: [UInt64: Merge]
    /// Token id of each byte's character, and of the same followed by the end-of-word suffix.
    private let byteIds: [Int32]
    private let finalByteIds: [Int32]
    /// id → token string (nil where no token has that id) and token string → id.
    let idToToken: [String?]
    let tokenToId: [String: Int]
    private let cache: WordCache

    /// Builds the merge table; throws when a byte character, its suffixed form, or a merge's parts or result
    /// are missing from the vocabulary, so encoding can never meet an unknown symbol.
    init(vocabulary: BPEVocabulary, endOfWordSuffix: String?, cacheCapacity: Int = 100_000) throws {
        let vocab = vocabulary.tokenToId
        func require(_ token: String) throws -> Int32 {
            guard let id = vocab[token] else { throw TokenizerError.missingToken(token, file: vocabulary.vocabularyURL) }
            return Int32(id)
        }
        var byteIds = [Int32](), finalByteIds = [Int32]()
        byteIds.reserveCapacity(256)
        finalByteIds.reserveCapacity(256)
        for b in 0..<256 {
            let token = ByteUnicodeMap.string(for: UInt8(b))
            byteIds.append(try require(token))
            finalByteIds.append(try require(token + (endOfWordSuffix ?? "")))
        }
        var table = [UInt64: Merge](minimumCapacity: vocabulary.merges.count)
        for (rank, merge) in vocabulary.merges.enumerated() {
            guard let left = vocab[merge.left], let right = vocab[merge.right], let joined = vocab[merge.left + merge.right] else {
                throw TokenizerError.malformedMerges(
                    vocabulary.mergesURL, line: merge.line,
                    reason: "\(merge.left) \(merge.right): a part or the joined token is not in \(vocabulary.vocabularyURL.lastPathComponent)")
            }
            // A repeated pair keeps its last rank, as HF's merge map does.
            table[Self.key(Int32(left), Int32(right))] = Merge(rank: Int32(rank), id: Int32(joined))
        }
        self.mergeTable = table
        self.byteIds = byteIds
        self.finalByteIds = finalByteIds
        self.idToToken = vocabulary.idToToken
        self.tokenToId = vocab
        self.cache = WordCache(capacity: cacheCapacity)
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func merge(_ left: Int32, _ right: Int32) -> Merge {
        mergeTable[Self.key(left, right)] ?? .none
    }

    /// Number of words currently cached (for tests).
    var cachedWordCount: Int { cache.count }

    /// Appends the token ids of one word (the UTF-8 bytes of one pre-token) to `output`.
    func encodeWord(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [Int]) {
        let n = bytes.count
        guard n > 0 else { return }
        let key = WordKey(bytes)
        if let hit = cache.lookup(key) {
            for id in hit { output.append(Int(id)) }
            return
        }
        var symbols = [Int32]()
        symbols.reserveCapacity(n)
        for i in 0..<(n - 1) { symbols.append(byteIds[Int(bytes[i])]) }
        symbols.append(finalByteIds[Int(bytes[n - 1])])
        if n > 1 {
            // pairs[i] is the merge of (symbols[i], symbols[i + 1]).
            var pairs = [Merge]()
            pairs.reserveCapacity(n - 1)
            for i in 0..<(n - 1) { pairs.append(merge(symbols[i], symbols[i + 1])) }
            while true {
                var best = -1
                var bestRank = Int32.max
                for i in 0..<pairs.count where pairs[i].rank < bestRank {
                    best = i
                    bestRank = pairs[i].rank
                }
                if best < 0 { break }
                symbols[best] = pairs[best].id
                symbols.remove(at: best + 1)
                pairs.remove(at: best)
                if best > 0 { pairs[best - 1] = merge(symbols[best - 1], symbols[best]) }
                if best < pairs.count { pairs[best] = merge(symbols[best], symbols[best + 1]) }
            }
        }
        for id in symbols { output.append(Int(id)) }
        cache.insert(key, symbols)
    }
}

/// A word's bytes as a cache key: up to 16 bytes packed into two integers (no allocation), longer words as an array.
struct WordKey: Hashable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var count: Int
    private var long: [UInt8]? = nil

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        count = bytes.count
        if count > 16 {
            long = Array(bytes)
            return
        }
        for i in 0..<count {
            if i < 8 { low |= UInt64(bytes[i]) << (8 * UInt64(i)) } else { high |= UInt64(bytes[i]) << (8 * UInt64(i - 8)) }
        }
    }
}

/// A thread-safe word → token ids map. When full it stops inserting, as HF's BPE cache does.
final class WordCache: @unchecked Sendable {
    private var storage: [WordKey: [Int32]] = [:]
    private let lock = NSLock()
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return storage.count
    }

    func lookup(_ key: WordKey) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[key]
    }

    func insert(_ key: WordKey, _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count < capacity { storage[key] = ids }
    }
}
