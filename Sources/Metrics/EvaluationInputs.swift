import Data
import Foundation

/// Reading what `clipcap evaluate` evaluates (DESIGN.md section 4): a COCO results JSON and references
/// in COCO captions or Karpathy format. Errors are one line naming the file.
public enum EvaluationInputs {
    /// One entry of a COCO results file.
    public struct Result: Sendable, Equatable {
        public var imageId: ItemID
        public var caption: String

        public init(imageId: ItemID, caption: String) {
            self.imageId = imageId
            self.caption = caption
        }
    }

    /// Reads `[{"image_id": ..., "caption": "..."}, ...]` in file order; other keys (id, score) are
    /// ignored. Throws for a missing file, invalid JSON, a wrong shape or an empty list.
    public static func readResults(_ url: URL) throws -> [Result] {
        let file = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { throw MetricsError.missingFile(file) }
        guard !isDirectory.boolValue else { throw MetricsError.malformed(file: file, reason: "is a folder, expected a results JSON file") }
        let data: Foundation.Data
        do { data = try Foundation.Data(contentsOf: url) } catch {
            throw MetricsError.malformed(file: file, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MetricsError.malformed(file: file, reason: "not UTF-8 text")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch {
            throw MetricsError.malformed(file: file, reason: "\(error)")
        }
        guard case .array(let entries) = value else {
            throw MetricsError.malformed(file: file, reason: #"expected a JSON array of {"image_id": ..., "caption": "..."}"#)
        }
        var results: [Result] = []
        results.reserveCapacity(entries.count)
        for (k, entry) in entries.enumerated() {
            guard case .object(let o) = entry else { throw MetricsError.malformed(file: file, reason: "entry \(k) is not a JSON object") }
            guard let idValue = o["image_id"] else { throw MetricsError.malformed(file: file, reason: #"entry \#(k) has no "image_id""#) }
            guard let id = ItemID(jsonValue: idValue) else {
                throw MetricsError.malformed(file: file, reason: #"entry \#(k): "image_id" is not an integer or a string"#)
            }
            guard let captionValue = o["caption"] else { throw MetricsError.malformed(file: file, reason: #"entry \#(k) has no "caption""#) }
            guard case .string(let caption) = captionValue else {
                throw MetricsError.malformed(file: file, reason: #"entry \#(k): "caption" is not a string"#)
            }
            results.append(Result(imageId: id, caption: caption))
        }
        guard !results.isEmpty else { throw MetricsError.noResults(file: file) }
        return results
    }

    /// Reference captions by image, each image's captions in file order. Reads COCO captions JSON or a
    /// Karpathy split JSON (keeping `splits`), and the other caption formats `Datasets.captions` reads.
    public static func readReferences(_ url: URL, splits: [String]? = nil) throws -> [ItemID: [String]] {
        var references: [ItemID: [String]] = [:]
        for record in try Datasets.captions(from: url, splits: splits) {
            references[record.imageId, default: []].append(record.caption)
        }
        return references
    }

    /// The images of the results with their references, in results order: what pycocoevalcap evaluates
    /// when its image ids are the results' (`cocoEval.params['image_id'] = cocoRes.getImgIds()`). Throws
    /// for a repeated image id (pycocoevalcap asserts one candidate per image) and for an image the
    /// references do not caption, naming the results file.
    public static func pair(_ results: [Result], resultsFile: String,
                            references: [ItemID: [String]], referencesFile: String) throws -> [ImageCaptions] {
        var seen = Set<ItemID>()
        var images: [ImageCaptions] = []
        images.reserveCapacity(results.count)
        for result in results {
            guard seen.insert(result.imageId).inserted else {
                throw MetricsError.duplicateImage(file: resultsFile, imageId: result.imageId.description)
            }
            guard let refs = references[result.imageId], !refs.isEmpty else {
                throw MetricsError.noReferences(resultsFile: resultsFile, imageId: result.imageId.description,
                                                referencesFile: referencesFile)
            }
            images.append(ImageCaptions(imageId: result.imageId, candidate: result.caption, references: refs))
        }
        return images
    }

    /// `readResults`, `readReferences` and `pair` together.
    public static func load(results: URL, references: URL, splits: [String]? = nil) throws -> [ImageCaptions] {
        let candidates = try readResults(results)
        let refs = try readReferences(references, splits: splits)
        return try pair(candidates, resultsFile: results.path, references: refs, referencesFile: references.path)
    }
}
