import Foundation

/// One caption of a dataset, and one row of a text embedding store's sidecar (DESIGN.md section 4).
public struct CaptionRecord: Codable, Sendable, Equatable, Hashable {
    public var imageId: ItemID
    public var captionId: ItemID
    public var caption: String

    public init(imageId: ItemID, captionId: ItemID, caption: String) {
        self.imageId = imageId
        self.captionId = captionId
        self.caption = caption
    }

    enum CodingKeys: String, CodingKey {
        case imageId = "image_id", captionId = "caption_id", caption
    }
}

/// One image of a dataset, and one row of an image embedding store's sidecar (DESIGN.md section 4).
public struct ImageRecord: Codable, Sendable, Equatable, Hashable {
    public var imageId: ItemID
    /// The image file, as a path usable from the current directory (absolute when the input was).
    public var path: String

    public init(imageId: ItemID, path: String) {
        self.imageId = imageId
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case imageId = "image_id", path
    }
}

// MARK: - Sidecar lines

/// Rows the sidecar writer serializes by hand: the records are most of what gets written, and a
/// per-row JSONEncoder costs more than the rest of writing a 600k-row store.
protocol JSONLineEncodable {
    func appendJSON(to out: inout [UInt8]) throws
}

extension JSONValue: JSONLineEncodable {}

extension ItemID {
    func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .int(let i): appendJSONInt(i, to: &out)
        case .string(let s): appendJSONString(s, to: &out)
        }
    }
}

extension CaptionRecord: JSONLineEncodable {
    /// `{"image_id":…,"caption_id":…,"caption":"…"}`, the key order of DESIGN.md section 4.
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"image_id":"#.utf8)
        imageId.appendJSON(to: &out)
        out.append(contentsOf: #","caption_id":"#.utf8)
        captionId.appendJSON(to: &out)
        out.append(contentsOf: #","caption":"#.utf8)
        appendJSONString(caption, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The record in a parsed sidecar row; the error names the first missing or mistyped key.
    init(row: JSONValue) throws {
        guard case .object(let o) = row else { throw RowKeyError(key: nil, reason: "not a JSON object") }
        guard let imageId = o["image_id"] else { throw RowKeyError(key: "image_id", reason: "missing") }
        guard let image = ItemID(json: imageId) else { throw RowKeyError(key: "image_id", reason: "not an integer or a string") }
        guard let captionId = o["caption_id"] else { throw RowKeyError(key: "caption_id", reason: "missing") }
        guard let captionItem = ItemID(json: captionId) else { throw RowKeyError(key: "caption_id", reason: "not an integer or a string") }
        guard let captionValue = o["caption"] else { throw RowKeyError(key: "caption", reason: "missing") }
        guard case .string(let caption) = captionValue else { throw RowKeyError(key: "caption", reason: "not a string") }
        self.init(imageId: image, captionId: captionItem, caption: caption)
    }
}

extension ImageRecord: JSONLineEncodable {
    /// `{"image_id":…,"path":"…"}`, the key order of DESIGN.md section 4.
    func appendJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"image_id":"#.utf8)
        imageId.appendJSON(to: &out)
        out.append(contentsOf: #","path":"#.utf8)
        appendJSONString(path, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    init(row: JSONValue) throws {
        guard case .object(let o) = row else { throw RowKeyError(key: nil, reason: "not a JSON object") }
        guard let imageId = o["image_id"] else { throw RowKeyError(key: "image_id", reason: "missing") }
        guard let image = ItemID(json: imageId) else { throw RowKeyError(key: "image_id", reason: "not an integer or a string") }
        guard let pathValue = o["path"] else { throw RowKeyError(key: "path", reason: "missing") }
        guard case .string(let path) = pathValue else { throw RowKeyError(key: "path", reason: "not a string") }
        self.init(imageId: image, path: path)
    }
}

/// A sidecar row lacks a key, or holds the wrong type under it; turned into a DataError naming file and line.
struct RowKeyError: Error {
    let key: String?
    let reason: String
}
