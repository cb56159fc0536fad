// Word splitting and n-gram counting shared by BLEU, ROUGE-L and CIDEr-D, with pycocoevalcap's splitting
// rules. Words are interned by their UTF-8 bytes (Python compares strings by code points; Swift's `==`
// would equate "é" and "e\u{301}"), n-grams by their word ids, so scoring works on small integers.

/// How pycocoevalcap splits a tokenized caption into words.
enum WordSplit {
    /// `str.split()`: runs of Unicode whitespace separate words (U+00A0 included, so the PTB token
    /// "5\u{A0}7/8" is two words to BLEU and CIDEr, as in pycocoevalcap).
    case whitespace
    /// `str.split(" ")`: every single space separates, so empty words appear ("" → [""]). ROUGE-L.
    case singleSpace
}

/// An n-gram of 1 to 4 word ids; unused slots are -1.
struct NGram: Hashable {
    var w0: Int32, w1: Int32, w2: Int32, w3: Int32

    init(_ words: UnsafeBufferPointer<Int32>, _ start: Int, _ order: Int) {
        w0 = words[start]
        w1 = order > 1 ? words[start + 1] : -1
        w2 = order > 2 ? words[start + 2] : -1
        w3 = order > 3 ? words[start + 3] : -1
    }
}

/// One n-gram of a sentence and how often it occurs there.
struct NGramCount {
    var id: Int32
    var count: Int32
}

/// Words and n-grams interned for one scoring run.
struct NGramIndex {
    private var words = ByteInterner()
    private var ngrams = NGramTable()
    /// The order (1...4) of each n-gram id.
    private(set) var orders: [UInt8] = []

    var ngramCount: Int { orders.count }

    /// The word ids of `text`, split as pycocoevalcap splits for the metric.
    mutating func words(_ text: String, _ split: WordSplit) -> [Int32] {
        var text = text
        return text.withUTF8 { bytes in
            var out: [Int32] = []
            var start = 0, i = 0
            switch split {
            case .singleSpace:
                while i <= bytes.count {
                    if i == bytes.count || bytes[i] == 0x20 {
                        out.append(words.intern(UnsafeBufferPointer(rebasing: bytes[start..<i])))
                        start = i + 1
                    }
                    i += 1
                }
            case .whitespace:
                while i < bytes.count {
                    let width = pythonWhitespaceWidth(bytes, at: i)
                    if width > 0 {
                        if i > start { out.append(words.intern(UnsafeBufferPointer(rebasing: bytes[start..<i]))) }
                        i += width
                        start = i
                    } else {
                        i += 1
                    }
                }
                if bytes.count > start { out.append(words.intern(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))) }
            }
            return out
        }
    }

    /// The n-grams of orders 1...`maxOrder` in `words` with their counts (pycocoevalcap's `precook`),
    /// sorted by id.
    mutating func counts(_ words: [Int32], maxOrder: Int = 4) -> [NGramCount] {
        var found: [Int32] = []
        found.reserveCapacity(words.count * maxOrder)
        words.withUnsafeBufferPointer { w in
            for order in 1...maxOrder where w.count >= order {
                for i in 0...(w.count - order) {
                    let (id, isNew) = ngrams.intern(NGram(w, i, order))
                    if isNew { orders.append(UInt8(order)) }
                    found.append(id)
                }
            }
        }
        found.sort()
        var out: [NGramCount] = []
        out.reserveCapacity(found.count)
        for id in found {
            if let last = out.last, last.id == id { out[out.count - 1].count += 1 } else { out.append(NGramCount(id: id, count: 1)) }
        }
        return out
    }
}

/// The byte length of the Python whitespace character at `i` (`str.isspace()`), or 0 if it is not one.
/// Python's whitespace: U+0009-000D, U+001C-0020, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029,
/// U+202F, U+205F, U+3000.
@inline(__always)
func pythonWhitespaceWidth(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
    let c = b[i]
    if c < 0x80 { return (0x09...0x0D).contains(c) || (0x1C...0x20).contains(c) ? 1 : 0 }
    switch c {
    case 0xC2:
        return i + 1 < b.count && (b[i + 1] == 0x85 || b[i + 1] == 0xA0) ? 2 : 0
    case 0xE1:
        return i + 2 < b.count && b[i + 1] == 0x9A && b[i + 2] == 0x80 ? 3 : 0
    case 0xE2:
        guard i + 2 < b.count else { return 0 }
        let (b1, b2) = (b[i + 1], b[i + 2])
        if b1 == 0x80, (0x80...0x8A).contains(b2) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF { return 3 }
        return b1 == 0x81 && b2 == 0x9F ? 3 : 0
    case 0xE3:
        return i + 2 < b.count && b[i + 1] == 0x80 && b[i + 2] == 0x80 ? 3 : 0
    default:
        return 0
    }
}

/// Interns n-grams: open addressing with a multiplicative hash, cheaper than `Dictionary`'s SipHash.
struct NGramTable {
    private var keys: [NGram] = []
    private var slots = [Int32](repeating: -1, count: 4096)

    mutating func intern(_ g: NGram) -> (id: Int32, isNew: Bool) {
        if keys.count * 2 >= slots.count { grow() }
        let mask = slots.count - 1
        var slot = Self.hash(g) & mask
        while true {
            let id = slots[slot]
            if id < 0 {
                slots[slot] = Int32(keys.count)
                keys.append(g)
                return (Int32(keys.count - 1), true)
            }
            if keys[Int(id)] == g { return (id, false) }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, g) in keys.enumerated() {
            var slot = Self.hash(g) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    @inline(__always)
    private static func hash(_ g: NGram) -> Int {
        let a = UInt64(UInt32(bitPattern: g.w0)) | UInt64(UInt32(bitPattern: g.w1)) << 32
        let b = UInt64(UInt32(bitPattern: g.w2)) | UInt64(UInt32(bitPattern: g.w3)) << 32
        var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }
}

/// Interns byte strings: equal bytes get equal ids. Open addressing over an arena of the bytes seen.
struct ByteInterner {
    private var arena: [UInt8] = []
    private var spans: [(start: Int, count: Int)] = []
    private var slots = [Int32](repeating: -1, count: 1024)

    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if spans.count * 2 >= slots.count { grow() }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(bytes)) & mask
        while true {
            let id = slots[slot]
            if id < 0 {
                let new = Int32(spans.count)
                spans.append((arena.count, bytes.count))
                arena.append(contentsOf: bytes)
                slots[slot] = new
                return new
            }
            if equal(id, bytes) { return id }
            slot = (slot + 1) & mask
        }
    }

    private func equal(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let span = spans[Int(id)]
        guard span.count == bytes.count else { return false }
        for k in 0..<span.count where arena[span.start + k] != bytes[k] { return false }
        return true
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, span) in spans.enumerated() {
            let h = arena.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[span.start..<(span.start + span.count)])) }
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    /// FNV-1a, 64-bit.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
