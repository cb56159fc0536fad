import Foundation

/// Readers for the caption and image inputs of DESIGN.md section 1 and `clipcap embed` (section 7).
///
/// Formats are chosen by extension, then by content:
/// - `.txt`: plain captions, one per non-empty line; or, when its first non-blank line reads
///   `NAME#K<TAB>caption`, a Flickr token file (as is any `.token` file).
/// - `.json`: COCO captions when it has `annotations`, a Karpathy split when its `images` carry `sentences`.
/// - `.csv` (RFC 4180, with a header) and `.jsonl` (one object a line): see `TabularDatasets`.
///
/// `splits` filters Karpathy images by their `split`, and CSV/JSONL rows by a `split` column when the
/// file has one. Formats without splits (plain text, COCO captions, Flickr tokens) ignore it: those
/// files are split by file.
public enum Datasets {
    /// Captions from: a .txt (one caption per non-empty line, trimmed; image_id = caption_id = the 0-based
    /// index among kept lines), a Karpathy-split JSON (images[].sentences[].raw; image_id = cocoid if present
    /// else imgid; caption_id = sentid), a COCO captions JSON (annotations[]: image_id, id, caption), a Flickr
    /// token file (`name.jpg#k<TAB>caption`; image_id = "name.jpg", caption_id = k), a .csv or a .jsonl.
    /// Captions from JSON and CSV are kept exactly as written; line formats trim surrounding whitespace.
    /// Errors name the file, and the line for line formats; an empty result is `DataError.noCaptions`.
    public static func captions(from url: URL, splits: [String]? = nil) throws -> [CaptionRecord] {
        let file = url.path
        let records: [CaptionRecord]
        switch try format(of: url) {
        case .text:
            let data = try TextFiles.read(url)
            records = try data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                if looksLikeTokens(bytes) { return try FlickrTokens.captions(bytes, file: file) }
                return try plainCaptions(bytes, file: file)
            }
        case .flickrTokens:
            let data = try TextFiles.read(url)
            records = try data.withUnsafeBytes { try FlickrTokens.captions($0.bindMemory(to: UInt8.self), file: file) }
        case .json:
            let dataset = try DatasetJSON<[DatasetSentence]>.read(url)
            switch try dataset.layout(file: file) {
            case .coco: records = dataset.cocoCaptions()
            case .karpathy: records = try dataset.karpathyCaptions(file: file, splits: splits)
            }
        case .csv, .jsonl:
            let rows = try tabularRows(url)
            records = try TabularDatasets.captions(rows, file: file, splits: splits)
        }
        guard !records.isEmpty else { throw DataError.noCaptions(file: file, splits: splits) }
        return records
    }

    /// Images from: a folder (its .jpg/.jpeg/.png files, any case, not recursive, hidden files skipped,
    /// sorted by name; image_id = the file name), a .txt list of paths (one a line; relative paths resolved
    /// against the list's folder; image_id = the path as written), or a dataset file as for `captions`:
    /// unique images in first-appearance order, with paths under `imagesRoot` (Karpathy: filepath/filename;
    /// COCO: images[].file_name; Flickr tokens: the name; CSV/JSONL: the `path` column, resolved against
    /// `imagesRoot` or else the file's folder). Karpathy image ids are cocoid if present, else imgid.
    /// Files are not opened here; a missing image is the image loader's error.
    public static func images(from url: URL, imagesRoot: URL? = nil, splits: [String]? = nil) throws -> [ImageRecord] {
        let file = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw DataError.missingFile(file)
        }
        let records: [ImageRecord]
        if isDirectory.boolValue {
            records = try folderImages(url)
        } else {
            func root() throws -> URL {
                guard let imagesRoot else { throw DataError.imagesRootRequired(file: file) }
                return imagesRoot
            }
            switch try format(of: url) {
            case .text:
                let data = try TextFiles.read(url)
                records = try data.withUnsafeBytes { raw in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    if looksLikeTokens(bytes) { return try flickrImages(bytes, file: file, root: try root()) }
                    return try listedImages(bytes, list: url)
                }
            case .flickrTokens:
                let data = try TextFiles.read(url)
                let root = try root()
                records = try data.withUnsafeBytes { try flickrImages($0.bindMemory(to: UInt8.self), file: file, root: root) }
            case .json:
                let dataset = try DatasetJSON<Skipped>.read(url)
                switch try dataset.layout(file: file) {
                case .coco: records = try dataset.cocoImages(file: file, root: try root())
                case .karpathy: records = try dataset.karpathyImages(file: file, root: try root(), splits: splits)
                }
            case .csv, .jsonl:
                let rows = try tabularRows(url)
                records = try TabularDatasets.images(rows, file: url, imagesRoot: imagesRoot, splits: splits)
            }
        }
        guard !records.isEmpty else { throw DataError.noImages(path: file, splits: isDirectory.boolValue ? nil : splits) }
        return records
    }

    /// Extensions of the image files a folder listing picks up (compared lowercased).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    // MARK: - Formats

    enum Format { case text, flickrTokens, json, csv, jsonl }

    static func format(of url: URL) throws -> Format {
        switch url.pathExtension.lowercased() {
        case "txt": return .text
        case "token": return .flickrTokens
        case "json": return .json
        case "csv": return .csv
        case "jsonl", "ndjson": return .jsonl
        default:
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw DataError.missingFile(url.path)
            }
            throw DataError.unsupportedFormat(file: url.path,
                reason: "expected .txt, .token, .json, .csv or .jsonl (got '.\(url.pathExtension)')")
        }
    }

    /// A .txt is a Flickr token file when its first non-blank line reads `NAME#K<TAB>...`.
    private static func looksLikeTokens(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var result: Bool?
        TextFiles.forEachLine(bytes) { _, line in
            if result == nil, !TextFiles.isBlank(line) { result = FlickrTokens.looksLikeTokenLine(line) }
        }
        return result ?? false
    }

    private static func tabularRows(_ url: URL) throws -> [TabularDatasets.Row] {
        let data = try TextFiles.read(url)
        let csv = try format(of: url) == .csv
        return try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return csv ? try TabularDatasets.csvRows(bytes, file: url.path)
                       : try TabularDatasets.jsonlRows(bytes, file: url.path)
        }
    }

    // MARK: - Text files

    private static func plainCaptions(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> [CaptionRecord] {
        var records: [CaptionRecord] = []
        try TextFiles.forEachLine(bytes) { line, content in
            let caption = try TextFiles.string(content, file: file, line: line).trimmed
            if caption.isEmpty { return }
            let k = records.count
            records.append(CaptionRecord(imageId: .int(k), captionId: .int(k), caption: caption))
        }
        return records
    }

    private static func listedImages(_ bytes: UnsafeBufferPointer<UInt8>, list: URL) throws -> [ImageRecord] {
        let base = list.deletingLastPathComponent()
        var records: [ImageRecord] = []
        try TextFiles.forEachLine(bytes) { line, content in
            let path = try TextFiles.string(content, file: list.path, line: line).trimmed
            if path.isEmpty { return }
            records.append(ImageRecord(imageId: .string(path), path: resolve(path, against: base)))
        }
        return records
    }

    private static func flickrImages(_ bytes: UnsafeBufferPointer<UInt8>, file: String, root: URL) throws -> [ImageRecord] {
        let rootPath = root.path
        var records: [ImageRecord] = []
        var seen = Set<ItemID>()
        for caption in try FlickrTokens.captions(bytes, file: file) where seen.insert(caption.imageId).inserted {
            records.append(ImageRecord(imageId: caption.imageId, path: joinPath(rootPath, caption.imageId.description)))
        }
        return records
    }

    // MARK: - Folders

    private static func folderImages(_ folder: URL) throws -> [ImageRecord] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw DataError.unreadable(file: folder.path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        var records: [ImageRecord] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let ext = (name as NSString).pathExtension.lowercased()
            guard imageExtensions.contains(ext) else { continue }
            let path = folder.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            records.append(ImageRecord(imageId: .string(name), path: path))
        }
        return records
    }

    /// `path` if absolute, else `base` joined with it.
    static func resolve(_ path: String, against base: URL) -> String {
        path.hasPrefix("/") ? path : joinPath(base.path, path)
    }
}

/// `base/part/...`, skipping nil or empty parts and never doubling a slash. String joining rather than
/// URL.appendingPathComponent, which costs more than the JSON decoding when listing 120k images.
func joinPath(_ base: String, _ parts: String?...) -> String {
    var path = base
    for case let part? in parts where !part.isEmpty {
        if !path.isEmpty, !path.hasSuffix("/") { path += "/" }
        path += part.hasPrefix("/") && path.hasSuffix("/") ? String(part.dropFirst()) : part
    }
    return path
}
