import Foundation

/// JSON Lines: one JSON value per line, UTF-8, lines ending in `\n`.
enum JSONLines {
    /// One compact JSON object per row, each followed by `\n`, in one buffer. Records and `JSONValue`
    /// rows are serialized directly; any other Encodable goes through JSONEncoder and must encode as an object.
    static func encode<Row: Encodable>(_ rows: [Row], file: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 80)
        var encoder: JSONEncoder?
        for (index, row) in rows.enumerated() {
            do {
                if let row = row as? any JSONLineEncodable {
                    let start = out.count
                    try row.appendJSON(to: &out)
                    guard out[start] == UInt8(ascii: "{") else { throw NotAnObject() }
                } else {
                    if encoder == nil {
                        encoder = JSONEncoder()
                        encoder!.outputFormatting = [.withoutEscapingSlashes]
                    }
                    let data = try encoder!.encode(row)
                    guard data.first == UInt8(ascii: "{") else { throw NotAnObject() }
                    out.append(contentsOf: data)
                }
            } catch is NotAnObject {
                throw DataError.malformed(file: file, line: index + 1, reason: "row \(index) does not encode as a JSON object")
            } catch let error as NonFiniteNumber {
                throw DataError.malformed(file: file, line: index + 1,
                    reason: "row \(index) holds \(error.value), which JSON cannot represent")
            } catch {
                throw DataError.malformed(file: file, line: index + 1, reason: "row \(index) cannot be encoded: \(error)")
            }
            out.append(0x0A)
        }
        return out
    }

    private struct NotAnObject: Error {}

    /// Parses every line as a JSON object, calling `body(lineNumber, object)`. Blank lines are skipped
    /// when `skipBlankLines`, else they are errors; any other line that is not one JSON object is an
    /// error naming the file and line.
    static func forEachObject(_ bytes: UnsafeBufferPointer<UInt8>, file: String, skipBlankLines: Bool,
                              _ body: (Int, [String: JSONValue]) throws -> Void) throws {
        try TextFiles.forEachLine(bytes) { line, content in
            if TextFiles.isBlank(content) {
                if skipBlankLines { return }
                throw DataError.malformed(file: file, line: line, reason: "blank line (expected one JSON object a line)")
            }
            let value: JSONValue
            do {
                value = try JSONParser.parse(content)
            } catch let error as JSONParseError {
                throw DataError.malformed(file: file, line: line,
                                          reason: "invalid JSON at column \(error.offset + 1): \(error.message)")
            }
            guard case .object(let object) = value else {
                throw DataError.malformed(file: file, line: line, reason: "expected a JSON object, found \(value.kindName)")
            }
            try body(line, object)
        }
    }
}

extension JSONValue {
    /// The kind of value, for messages ("an array").
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
