import Foundation

/// Reading whole files and walking their lines, with errors that name the file and line.
public enum TextFiles {
    /// The bytes of a regular file; a missing path or a folder is a DataError.
    public static func read(_ url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(url.path)
        }
        guard !isDirectory.boolValue else { throw DataError.unreadable(file: url.path, reason: "is a folder, expected a file") }
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DataError.unreadable(file: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Calls `body` with each line's 1-based number and bytes, without the `\n` or `\r\n` terminator.
    /// A UTF-8 byte-order mark at the start is skipped; a final line without a terminator still counts.
    static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>,
                            _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var line = 1
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > start, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            try body(line, UnsafeBufferPointer(rebasing: bytes[start..<contentEnd]))
            line += 1
            start = end + 1
        }
    }

    /// A line as a String; invalid UTF-8 is an error naming the line.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw DataError.malformed(file: file, line: line, reason: "not valid UTF-8 text")
        }
        return s
    }

    /// True when the line holds only spaces and tabs (or nothing).
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }
}

extension String {
    /// The string without leading and trailing whitespace (Unicode spaces included) and newlines.
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
