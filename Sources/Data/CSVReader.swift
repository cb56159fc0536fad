import Foundation

/// Reads RFC 4180 CSV: comma-separated fields, records ending in LF or CRLF, fields optionally quoted
/// with `"`; inside quotes, commas and line breaks are data and `""` is one quote. A quote inside an
/// unquoted field, or text after a closing quote, is an error (it is nearly always broken quoting).
/// Blank lines are skipped. Every row must have as many fields as the header.
public enum CSVReader {
    public struct Table: Sendable, Equatable {
        public var header: [String]
        public var rows: [[String]]
        /// The 1-based line on which each row starts (a quoted field may span lines).
        public var lines: [Int]

        /// The index of the column named `name` (surrounding spaces in the header are ignored).
        public func column(_ name: String) -> Int? { header.firstIndex { $0.trimmed == name } }
    }

    public static func read(_ url: URL) throws -> Table {
        let data = try TextFiles.read(url)
        return try data.withUnsafeBytes { try parse($0.bindMemory(to: UInt8.self), file: url.path) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> Table {
        var parser = Parser(bytes: bytes, file: file)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.i = 3 }
        guard let (_, header) = try parser.record() else {
            throw DataError.malformed(file: file, line: 1, reason: "empty CSV file (expected a header row)")
        }
        var table = Table(header: header, rows: [], lines: [])
        while let (line, fields) = try parser.record() {
            guard fields.count == header.count else {
                throw DataError.malformed(file: file, line: line,
                    reason: "expected \(header.count) fields (\(header.joined(separator: ","))), found \(fields.count)")
            }
            table.rows.append(fields)
            table.lines.append(line)
        }
        return table
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let file: String
        var i = 0
        var line = 1

        init(bytes: UnsafeBufferPointer<UInt8>, file: String) { self.bytes = bytes; self.file = file }

        /// The next non-blank record and the line it starts on; nil at the end of the input.
        mutating func record() throws -> (Int, [String])? {
            while i < bytes.count {
                let start = line
                var fields: [String] = []
                var quotedAny = false
                while true {
                    let (field, quoted) = try self.field()
                    fields.append(field)
                    quotedAny = quotedAny || quoted
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    // end of record: at a line feed or the end of the input
                    if i < bytes.count { i += 1; line += 1 }
                    break
                }
                if fields.count == 1, fields[0].isEmpty, !quotedAny { continue }   // a blank line
                return (start, fields)
            }
            return nil
        }

        private mutating func field() throws -> (String, Bool) {
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") { return (try quotedField(), true) }
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != 0x0A {
                if bytes[i] == UInt8(ascii: "\"") {
                    throw DataError.malformed(file: file, line: line,
                        reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                i += 1
            }
            var end = i
            if end > start, bytes[end - 1] == 0x0D, i == bytes.count || bytes[i] == 0x0A { end -= 1 }
            return (try text(UnsafeBufferPointer(rebasing: bytes[start..<end]), line: line), false)
        }

        private mutating func quotedField() throws -> String {
            let startLine = line
            i += 1  // opening quote
            var value: [UInt8] = []
            var runStart = i
            while true {
                guard i < bytes.count else {
                    throw DataError.malformed(file: file, line: startLine, reason: "unterminated quoted field")
                }
                let b = bytes[i]
                if b == 0x0A { line += 1 }
                if b != UInt8(ascii: "\"") { i += 1; continue }
                value.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                    value.append(UInt8(ascii: "\""))
                    i += 2
                    runStart = i
                    continue
                }
                i += 1  // closing quote
                break
            }
            // After the closing quote: a comma, a line break (LF or CRLF), or the end.
            if i < bytes.count, bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
            if i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != 0x0A {
                throw DataError.malformed(file: file, line: line, reason: "text after the closing quote of a field")
            }
            return try value.withUnsafeBufferPointer { try text($0, line: startLine) }
        }

        private func text(_ b: UnsafeBufferPointer<UInt8>, line: Int) throws -> String {
            guard let s = String(validating: b, as: UTF8.self) else {
                throw DataError.malformed(file: file, line: line, reason: "not valid UTF-8 text")
            }
            return s
        }
    }
}
