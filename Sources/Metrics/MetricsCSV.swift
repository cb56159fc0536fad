import Data
import Foundation

/// metrics.csv and the per-image CSV (DESIGN.md section 4): RFC 4180 with a header row, pycocoevalcap's
/// column names, only the metrics that were computed. Numbers are written in full (the shortest text that
/// reads back to the same double), and files are written atomically.
extension CaptionScores {
    /// The header and the single row of metrics.csv.
    public var corpusTable: (header: [String], rows: [[String]]) {
        (columns, [columns.map { Self.format(corpus[$0] ?? .nan) }])
    }

    /// `image_id` and the metric columns, one row per image in evaluation order.
    public var perImageTable: (header: [String], rows: [[String]]) {
        let rows = imageIds.indices.map { i in
            [imageIds[i].description] + columns.map { Self.format(perImage[$0]?[i] ?? .nan) }
        }
        return (["image_id"] + columns, rows)
    }

    /// Writes metrics.csv: the header row and one row of corpus scores.
    public func writeCSV(to url: URL) throws {
        let table = corpusTable
        try CSVWriter.write(header: table.header, rows: table.rows, to: url)
    }

    /// Writes the per-image scores: `image_id`, then one column per metric.
    public func writePerImageCSV(to url: URL) throws {
        let table = perImageTable
        try CSVWriter.write(header: table.header, rows: table.rows, to: url)
    }

    static func format(_ value: Double) -> String { value.isNaN ? "nan" : "\(value)" }
}
