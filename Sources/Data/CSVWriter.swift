import Tensor
import Foundation

/// Writes RFC 4180 CSV (DESIGN.md section 4): a header row, then one row per observation. A field that
/// contains a comma, a quote, a line feed or a carriage return is quoted, with its quotes doubled;
/// other fields are written as they are. Records end in `\n` (what pandas and Python's csv module read
/// without options, and what line-oriented tools expect). The file is written atomically.
public enum CSVWriter {
    /// Throws if a row's field count differs from the header's (naming the row's line in the file).
    public static func write(header: [String], rows: [[String]], to url: URL) throws {
        try AtomicWrite.write(Data(encode(header: header, rows: rows, file: url.path)), to: url)
    }

    static func encode(header: [String], rows: [[String]], file: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 * (rows.count + 1))
        append(header, to: &out)
        for (index, row) in rows.enumerated() {
            guard row.count == header.count else {
                throw DataError.malformed(file: file, line: index + 2,
                    reason: "row \(index) has \(row.count) fields, the header has \(header.count)")
            }
            append(row, to: &out)
        }
        return out
    }

    private static func append(_ fields: [String], to out: inout [UInt8]) {
        for (k, field) in fields.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            if !needsQuotes { out.append(contentsOf: field.utf8); continue }
            out.append(UInt8(ascii: "\""))
            for b in field.utf8 {
                if b == UInt8(ascii: "\"") { out.append(b) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(0x0A)
    }
}
