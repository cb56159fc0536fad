import Foundation
import Tensor

/// The embedding store of DESIGN.md section 4: `NAME.safetensors` holding one float32 tensor
/// `embeddings` of shape [N, D], and `NAME.jsonl` beside it with one JSON object per row, in row order
/// (`{"image_id", "caption_id", "caption"}` for text, `{"image_id", "path"}` for images).
///
/// Rows are kept as `JSONValue` objects so that any row round-trips (read, then write, gives the same
/// values; `JSONValue` is Encodable). `captionRecords()` and `imageRecords()` give the typed view.
/// Embeddings are stored as produced, not normalized.
public struct EmbeddingStore: Sendable {
    /// [N, D]. After `read`, a view of the memory-mapped file (copied on first mutation).
    public var embeddings: Tensor
    /// One JSON object per embedding row.
    public var rows: [JSONValue]
    /// The `.safetensors` file this store was read from; nil for a store built in memory.
    public var url: URL?

    public init(embeddings: Tensor, rows: [JSONValue], url: URL? = nil) {
        self.embeddings = embeddings
        self.rows = rows
        self.url = url
    }

    /// N, the number of rows.
    public var count: Int { embeddings.rank == 2 ? embeddings.shape[0] : 0 }
    /// D, the embedding width.
    public var dimension: Int { embeddings.rank == 2 ? embeddings.shape[1] : 0 }

    /// `NAME.jsonl` for `NAME.safetensors`.
    public static func sidecarURL(for url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("jsonl")
    }

    /// Writes both files atomically (each through a temporary file and a rename). An existing
    /// `.safetensors` is removed first and the new one is renamed in last, so a store whose
    /// `.safetensors` exists is complete. Throws if `url` does not end in `.safetensors`, if `embeddings`
    /// is not 2-D, if `rows.count` is not N, or if a row does not encode as a JSON object.
    public static func write<Row: Encodable>(embeddings: Tensor, rows: [Row], to url: URL) throws {
        guard url.pathExtension == "safetensors" else { throw DataError.badStorePath(url.path) }
        guard embeddings.rank == 2 else {
            throw DataError.badShape(file: url.path, tensor: "embeddings", shape: embeddings.shape)
        }
        guard rows.count == embeddings.shape[0] else {
            throw DataError.rowCountMismatch(file: url.path, rows: rows.count, embeddings: embeddings.shape[0])
        }
        let sidecar = sidecarURL(for: url)
        let lines = try JSONLines.encode(rows, file: sidecar.path)
        if unlink(url.path) != 0, errno != ENOENT {
            throw DataError.unreadable(file: url.path, reason: "cannot replace: \(String(cString: strerror(errno)))")
        }
        try AtomicWrite.write(Data(lines), to: sidecar)
        try SafeTensorsWriter.write(["embeddings": embeddings], to: url)
    }

    /// Writes this store's embeddings and rows to `url` (see the static `write`).
    public func write(to url: URL) throws {
        try EmbeddingStore.write(embeddings: embeddings, rows: rows, to: url)
    }

    /// Reads a store and checks it: `embeddings` exists and is 2-D (errors from the safetensors reader
    /// name the file), and the `.jsonl` exists and has exactly N lines, each a JSON object (errors name
    /// the sidecar and the line).
    public static func read(_ url: URL) throws -> EmbeddingStore {
        guard url.pathExtension == "safetensors" else { throw DataError.badStorePath(url.path) }
        guard FileManager.default.fileExists(atPath: url.path) else { throw DataError.missingFile(url.path) }
        let file = try SafeTensorsFile(path: url.path)
        let embeddings = try file.tensor("embeddings")
        guard embeddings.rank == 2 else {
            throw DataError.badShape(file: url.path, tensor: "embeddings", shape: embeddings.shape)
        }
        let sidecar = sidecarURL(for: url)
        let data = try TextFiles.read(sidecar)
        var rows: [JSONValue] = []
        rows.reserveCapacity(embeddings.shape[0])
        try data.withUnsafeBytes { raw in
            try JSONLines.forEachObject(raw.bindMemory(to: UInt8.self), file: sidecar.path, skipBlankLines: false) {
                rows.append(.object($1))
            }
        }
        guard rows.count == embeddings.shape[0] else {
            throw DataError.rowCountMismatch(file: sidecar.path, rows: rows.count, embeddings: embeddings.shape[0])
        }
        return EmbeddingStore(embeddings: embeddings, rows: rows, url: url)
    }

    /// The rows as caption records; a missing or mistyped key is an error naming the sidecar and line.
    public func captionRecords() throws -> [CaptionRecord] {
        try records { try CaptionRecord(row: $0) }
    }

    /// The rows as image records; a missing or mistyped key is an error naming the sidecar and line.
    public func imageRecords() throws -> [ImageRecord] {
        try records { try ImageRecord(row: $0) }
    }

    private func records<R>(_ make: (JSONValue) throws -> R) throws -> [R] {
        let file = url.map { EmbeddingStore.sidecarURL(for: $0).path } ?? "(in-memory embedding store)"
        var out: [R] = []
        out.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            do {
                out.append(try make(row))
            } catch let error as RowKeyError {
                guard let key = error.key else {
                    throw DataError.malformed(file: file, line: index + 1, reason: error.reason)
                }
                throw DataError.missingKey(file: file, line: index + 1, key: key, reason: error.reason)
            }
        }
        return out
    }
}

extension EmbeddingStore {
    /// The image ids in row order, one per image, with the first row of each (a text store has several
    /// rows per image; a results file wants one caption per image). A row without an integer or string
    /// image_id, or an empty store, is an error naming the sidecar.
    public func firstRowPerImage() throws -> (ids: [ItemID], rows: [Int]) {
        let sidecar = url.map { Self.sidecarURL(for: $0).path } ?? "embedding store"
        var seen = Set<ItemID>(), ids: [ItemID] = [], rows: [Int] = []
        for (r, row) in self.rows.enumerated() {
            guard let value = row["image_id"], let id = ItemID(json: value) else {
                throw DataError.malformed(file: sidecar, line: r + 1, reason: "no integer or string image_id")
            }
            if seen.insert(id).inserted { ids.append(id); rows.append(r) }
        }
        guard !rows.isEmpty else { throw DataError.malformed(file: sidecar, line: nil, reason: "the store is empty") }
        return (ids, rows)
    }
}
