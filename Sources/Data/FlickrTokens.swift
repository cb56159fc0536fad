import Foundation

/// Flickr8k/30k caption token files: one caption a line, `NAME.jpg#K<TAB>caption`, K the caption's
/// number within its image (0–4). image_id is the file name, caption_id is K.
enum FlickrTokens {
    /// True when `line` looks like a token line: some text, `#`, digits, then a tab.
    static func looksLikeTokenLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let tab = line.firstIndex(of: 0x09) else { return false }
        var i = tab - 1
        var digits = 0
        while i >= 0, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") { digits += 1; i -= 1 }
        return digits > 0 && i >= 1 && line[i] == UInt8(ascii: "#")
    }

    /// Every caption of the file, in file order. Blank lines are skipped; any other line that is not
    /// `NAME#K<TAB>caption` is an error naming the line.
    static func captions(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> [CaptionRecord] {
        var records: [CaptionRecord] = []
        try TextFiles.forEachLine(bytes) { line, content in
            let text = try TextFiles.string(content, file: file, line: line)
            if text.trimmed.isEmpty { return }
            records.append(try parse(text, file: file, line: line))
        }
        return records
    }

    static func parse(_ text: String, file: String, line: Int) throws -> CaptionRecord {
        guard let tab = text.firstIndex(of: "\t"), let hash = text[..<tab].lastIndex(of: "#"),
              hash > text.startIndex, let k = Int(text[text.index(after: hash)..<tab]), k >= 0 else {
            throw DataError.malformed(file: file, line: line,
                                      reason: "expected 'IMAGE#K<TAB>caption' (a Flickr token line)")
        }
        let name = String(text[..<hash])
        let caption = String(text[text.index(after: tab)...]).trimmed
        return CaptionRecord(imageId: .string(name), captionId: .int(k), caption: caption)
    }
}
