import Foundation

/// CSV and JSON Lines datasets: one caption (or image) per row, with the columns/keys
/// `image_id` and `caption` (required for captions), `caption_id` (optional: else the 0-based row
/// index), `path` (required for images) and `split` (optional). When some row has a split, `splits`
/// filters on it and rows without one are dropped; a file without splits ignores `splits`, as the
/// other split-less formats do.
/// In a CSV, an id that is a canonical decimal integer reads as an integer id (see `ItemID`).
enum TabularDatasets {
    /// One row, with the line it came from, and the fields the dataset readers use.
    struct Row {
        var line: Int
        var imageId: ItemID
        var captionId: ItemID?
        var caption: String?
        var path: String?
        var split: String?
    }

    /// The rows of a .csv file. `image_id` must be a column; the others are looked up when present.
    static func csvRows(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> [Row] {
        let table = try CSVReader.parse(bytes, file: file)
        guard let imageColumn = table.column("image_id") else {
            throw DataError.missingKey(file: file, line: 1, key: "image_id",
                                       reason: "missing from the CSV header (\(table.header.joined(separator: ",")))")
        }
        let captionColumn = table.column("caption"), captionIdColumn = table.column("caption_id")
        let pathColumn = table.column("path"), splitColumn = table.column("split")
        var rows: [Row] = []
        rows.reserveCapacity(table.rows.count)
        for (fields, line) in zip(table.rows, table.lines) {
            rows.append(Row(line: line, imageId: ItemID(text: fields[imageColumn]),
                            captionId: captionIdColumn.map { ItemID(text: fields[$0]) },
                            caption: captionColumn.map { fields[$0] },
                            path: pathColumn.map { fields[$0] },
                            split: splitColumn.map { fields[$0] }))
        }
        return rows
    }

    /// The rows of a .jsonl file; blank lines are skipped.
    static func jsonlRows(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> [Row] {
        var rows: [Row] = []
        try JSONLines.forEachObject(bytes, file: file, skipBlankLines: true) { line, object in
            func id(_ key: String) throws -> ItemID? {
                guard let value = object[key] else { return nil }
                guard let id = ItemID(json: value) else {
                    throw DataError.missingKey(file: file, line: line, key: key, reason: "is not an integer or a string")
                }
                return id
            }
            func text(_ key: String) throws -> String? {
                guard let value = object[key] else { return nil }
                guard case .string(let s) = value else {
                    throw DataError.missingKey(file: file, line: line, key: key, reason: "is not a string")
                }
                return s
            }
            guard let imageId = try id("image_id") else {
                throw DataError.missingKey(file: file, line: line, key: "image_id", reason: "missing")
            }
            rows.append(Row(line: line, imageId: imageId, captionId: try id("caption_id"), caption: try text("caption"),
                            path: try text("path"), split: try text("split")))
        }
        return rows
    }

    static func captions(_ rows: [Row], file: String, splits: [String]?) throws -> [CaptionRecord] {
        let splits = effectiveSplits(rows, splits)
        var records: [CaptionRecord] = []
        records.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() where keep(row, splits: splits) {
            guard let caption = row.caption else {
                throw DataError.missingKey(file: file, line: row.line, key: "caption", reason: "missing")
            }
            records.append(CaptionRecord(imageId: row.imageId, captionId: row.captionId ?? .int(index), caption: caption))
        }
        return records
    }

    /// Unique images in first-appearance order. Relative paths are resolved against `imagesRoot` when
    /// given, else against the folder of the dataset file.
    static func images(_ rows: [Row], file: URL, imagesRoot: URL?, splits: [String]?) throws -> [ImageRecord] {
        let splits = effectiveSplits(rows, splits)
        let base = imagesRoot ?? file.deletingLastPathComponent()
        var records: [ImageRecord] = []
        var seen = Set<ItemID>()
        for row in rows where keep(row, splits: splits) {
            guard let path = row.path else {
                throw DataError.missingKey(file: file.path, line: row.line, key: "path",
                                           reason: "missing (listing images from a CSV or JSONL needs a path for each)")
            }
            guard seen.insert(row.imageId).inserted else { continue }
            records.append(ImageRecord(imageId: row.imageId, path: Datasets.resolve(path, against: base)))
        }
        return records
    }

    /// The filter to apply: none for a file whose rows carry no split at all.
    private static func effectiveSplits(_ rows: [Row], _ splits: [String]?) -> [String]? {
        guard let splits, rows.contains(where: { $0.split != nil }) else { return nil }
        return splits
    }

    private static func keep(_ row: Row, splits: [String]?) -> Bool {
        guard let splits else { return true }
        guard let split = row.split else { return false }
        return splits.contains(split)
    }
}
