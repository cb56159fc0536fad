import Foundation

/// The two JSON dataset layouts, read in one JSONDecoder pass through the union of the fields we use.
///
/// Karpathy split (`dataset_coco.json`, `dataset_flickr30k.json`):
///   `{"images": [{"split", "filepath"?, "filename", "imgid", "cocoid"?, "sentences": [{"raw", "sentid", ...}]}]}`
/// COCO captions (`captions_val2014.json`):
///   `{"images": [{"id", "file_name", ...}], "annotations": [{"image_id", "id", "caption"}]}`
/// Only these fields are decoded; everything else (the token lists that are most of a Karpathy file)
/// is skipped by the decoder, which keeps a 150 MB file to a few seconds. `Sentences` is
/// `[DatasetSentence]` when reading captions and `Skipped` when listing images, which need only to
/// know that an image has sentences.
struct DatasetJSON<Sentences: Decodable>: Decodable {

    struct Image: Decodable {
        // Karpathy
        let split: String?
        let filepath: String?
        let filename: String?
        let imgid: ItemID?
        let cocoid: ItemID?
        let sentences: Sentences?
        // COCO
        let id: ItemID?
        let file_name: String?
    }

    struct Annotation: Decodable {
        let image_id: ItemID
        let id: ItemID
        let caption: String
    }

    let images: [Image]?
    let annotations: [Annotation]?

    enum Layout { case coco, karpathy }

    /// Which layout this is: `annotations` means COCO; `images` whose entries carry `sentences` means Karpathy.
    func layout(file: String) throws -> Layout {
        if annotations != nil { return .coco }
        if let images, images.contains(where: { $0.sentences != nil }) { return .karpathy }
        if let images, images.isEmpty { return .karpathy }
        throw DataError.unsupportedFormat(file: file,
            reason: "a JSON dataset needs 'annotations' (COCO captions) or 'images' with 'sentences' (Karpathy split)")
    }

    static func read(_ url: URL) throws -> DatasetJSON {
        let bytes = try TextFiles.read(url)
        do {
            return try JSONDecoder().decode(DatasetJSON<Sentences>.self, from: bytes)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                // JSONDecoder does not say where the text is broken; our parser does.
                if let located = DataError.locateSyntaxError(bytes, file: url.path) { throw located }
            }
            throw DataError(decoding: error, file: url.path)
        }
    }

    // MARK: Karpathy

    /// The image id the Karpathy split files use for COCO (`cocoid`, matching the COCO annotations) or,
    /// for Flickr, their own `imgid`.
    static func karpathyId(_ image: Image, index: Int, file: String) throws -> ItemID {
        guard let id = image.cocoid ?? image.imgid else {
            throw DataError.missingKey(file: file, line: nil, key: "images[\(index)].imgid", reason: "missing (and no cocoid)")
        }
        return id
    }

    static func keep(_ image: Image, splits: [String]?) -> Bool {
        guard let splits else { return true }
        guard let split = image.split else { return false }
        return splits.contains(split)
    }

    func karpathyImages(file: String, root: URL, splits: [String]?) throws -> [ImageRecord] {
        let rootPath = root.path
        var records: [ImageRecord] = []
        var seen = Set<ItemID>()
        for (index, image) in (images ?? []).enumerated() where Self.keep(image, splits: splits) {
            let imageId = try Self.karpathyId(image, index: index, file: file)
            guard let filename = image.filename else {
                throw DataError.missingKey(file: file, line: nil, key: "images[\(index)].filename", reason: "missing")
            }
            guard seen.insert(imageId).inserted else { continue }
            records.append(ImageRecord(imageId: imageId, path: joinPath(rootPath, image.filepath, filename)))
        }
        return records
    }

    // MARK: COCO

    func cocoCaptions() -> [CaptionRecord] {
        (annotations ?? []).map { CaptionRecord(imageId: $0.image_id, captionId: $0.id, caption: $0.caption) }
    }

    func cocoImages(file: String, root: URL) throws -> [ImageRecord] {
        guard let images else { throw DataError.missingKey(file: file, line: nil, key: "images", reason: "missing") }
        let rootPath = root.path
        var records: [ImageRecord] = []
        var seen = Set<ItemID>()
        for (index, image) in images.enumerated() {
            guard let id = image.id else {
                throw DataError.missingKey(file: file, line: nil, key: "images[\(index)].id", reason: "missing")
            }
            guard let name = image.file_name else {
                throw DataError.missingKey(file: file, line: nil, key: "images[\(index)].file_name", reason: "missing")
            }
            guard seen.insert(id).inserted else { continue }
            records.append(ImageRecord(imageId: id, path: joinPath(rootPath, name)))
        }
        return records
    }
}

/// One Karpathy sentence: the caption as written and its id.
struct DatasetSentence: Decodable {
    let raw: String
    let sentid: ItemID
}

/// Any JSON value, not decoded: for fields whose presence is all we need.
struct Skipped: Decodable {
    init(from decoder: Decoder) throws {}
}

extension DatasetJSON where Sentences == [DatasetSentence] {
    func karpathyCaptions(file: String, splits: [String]?) throws -> [CaptionRecord] {
        var records: [CaptionRecord] = []
        for (index, image) in (images ?? []).enumerated() where Self.keep(image, splits: splits) {
            let imageId = try Self.karpathyId(image, index: index, file: file)
            for sentence in image.sentences ?? [] {
                records.append(CaptionRecord(imageId: imageId, captionId: sentence.sentid, caption: sentence.raw))
            }
        }
        return records
    }
}

extension DataError {
    /// The first syntax error in `bytes`, as `FILE:LINE: not valid JSON at column C: why`; nil if none is found.
    static func locateSyntaxError(_ bytes: Data, file: String) -> DataError? {
        bytes.withUnsafeBytes { raw -> DataError? in
            let b = raw.bindMemory(to: UInt8.self)
            do {
                try JSONParser.validate(b)
                return nil
            } catch let error as JSONParseError {
                var line = 1, lineStart = 0
                for k in 0..<min(error.offset, b.count) where b[k] == 0x0A { line += 1; lineStart = k + 1 }
                return .malformed(file: file, line: line,
                                  reason: "not valid JSON at column \(error.offset - lineStart + 1): \(error.message)")
            } catch {
                return nil
            }
        }
    }

    /// A JSONDecoder failure as a one-line diagnostic with the JSON path (`images[3].sentences[0].raw`).
    init(decoding error: DecodingError, file: String) {
        func path(_ codingPath: [CodingKey]) -> String {
            var s = ""
            for key in codingPath {
                if let i = key.intValue { s += "[\(i)]" } else { s += s.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return s
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            self = .missingKey(file: file, line: nil, key: parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)",
                               reason: "missing")
        case .valueNotFound(_, let context):
            self = .missingKey(file: file, line: nil, key: path(context.codingPath), reason: "is null")
        case .typeMismatch(_, let context):
            let where_ = path(context.codingPath)
            if where_.isEmpty {
                self = .malformed(file: file, line: nil, reason: "expected a JSON object at the top level")
            } else {
                self = .missingKey(file: file, line: nil, key: where_, reason: "has the wrong type: \(context.debugDescription)")
            }
        case .dataCorrupted(let context):
            var reason = "not valid JSON"
            if let underlying = context.underlyingError { reason += ": \(underlying)" }
            else if !context.codingPath.isEmpty { reason = "\(path(context.codingPath)): \(context.debugDescription)" }
            self = .malformed(file: file, line: nil, reason: reason)
        @unknown default:
            self = .malformed(file: file, line: nil, reason: "\(error)")
        }
    }
}
