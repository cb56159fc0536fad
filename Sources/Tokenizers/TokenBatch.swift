/// A batch of token id sequences padded to the longest one: ready for a model that takes [B, T] Int32 ids.
public struct TokenBatch: Sendable, Equatable {
    /// Row-major ids, shape [batchSize, sequenceLength]; positions past `lengths[b]` hold `padTokenId`.
    public var ids: [Int32]
    /// Number of real tokens in each row (start and end tokens included).
    public var lengths: [Int]
    /// T: the longest row's length (0 for an empty batch).
    public var sequenceLength: Int
    /// The id that fills the padding.
    public var padTokenId: Int32

    /// B.
    public var batchSize: Int { lengths.count }

    /// Pads `rows` to the longest with `padTokenId`.
    public init(rows: [[Int]], padTokenId: Int) {
        let t = rows.map(\.count).max() ?? 0
        var ids = [Int32](repeating: Int32(truncatingIfNeeded: padTokenId), count: rows.count * t)
        for (b, row) in rows.enumerated() {
            for (j, id) in row.enumerated() { ids[b * t + j] = Int32(truncatingIfNeeded: id) }
        }
        self.ids = ids
        self.lengths = rows.map(\.count)
        self.sequenceLength = t
        self.padTokenId = Int32(truncatingIfNeeded: padTokenId)
    }

    /// Row `b` including its padding, length `sequenceLength`.
    public func row(_ b: Int) -> ArraySlice<Int32> {
        ids[(b * sequenceLength)..<((b + 1) * sequenceLength)]
    }

    /// 1 for real tokens, 0 for padding; shape [batchSize, sequenceLength].
    public var attentionMask: [Int32] {
        var mask = [Int32](repeating: 0, count: ids.count)
        for (b, n) in lengths.enumerated() {
            for j in 0..<n { mask[b * sequenceLength + j] = 1 }
        }
        return mask
    }
}
