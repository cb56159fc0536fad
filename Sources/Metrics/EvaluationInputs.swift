import Data
import Tensor
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
    /// ignored. Throws for a missing file, invalid JSON, a wrong shape, an empty list, and an empty (or
    /// white-space) caption unless `allowEmptyCaptions` (pycocoevalcap scores those; a model that produced
    /// one usually stopped at once, which deserves a look before it is averaged in).
    public static func readResults(_ url: URL, allowEmptyCaptions: Bool = false) throws -> [Result] {
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
            guard let id = ItemID(json: idValue) else {
                throw MetricsError.malformed(file: file, reason: #"entry \#(k): "image_id" is not an integer or a string"#)
            }
            guard let captionValue = o["caption"] else { throw MetricsError.malformed(file: file, reason: #"entry \#(k) has no "caption""#) }
            guard case .string(let caption) = captionValue else {
                throw MetricsError.malformed(file: file, reason: #"entry \#(k): "caption" is not a string"#)
            }
            guard allowEmptyCaptions || !caption.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw MetricsError.malformed(file: file, reason: "entry \(k) (image_id \(id)) has an empty caption (pass --allow-empty to score it as pycocoevalcap does)")
            }
            results.append(Result(imageId: id, caption: caption))
        }
        guard !results.isEmpty else { throw MetricsError.noResults(file: file) }
        return results
    }

    /// Writes `results` as a COCO results file, `[{"image_id": ..., "caption": "..."}, ...]`, in order,
    /// atomically (a temporary file renamed over `url`).
    public static func writeResults(_ results: [Result], to url: URL) throws {
        let entries: [JSONValue] = results.map {
            .object(["image_id": $0.imageId.json, "caption": .string($0.caption)])
        }
        try AtomicWrite.write(Foundation.Data(JSONValue.array(entries).description.utf8), to: url)
    }

    /// Reference captions by image, and the order pycocoevalcap visits the images in.
    public struct References: Sendable, Equatable {
        /// Each image's captions, in file order.
        public var captions: [ItemID: [String]]
        /// Every captioned image once: in a COCO captions file, the order of its `images` list (what
        /// pycocotools' `getImgIds()` returns); otherwise the order images first appear in.
        public var imageOrder: [ItemID]
    }

    /// Reads COCO captions JSON or a Karpathy split JSON (keeping `splits`), and the other caption formats
    /// `Datasets.captions` reads.
    public static func readReferences(_ url: URL, splits: [String]? = nil) throws -> References {
        var captions: [ItemID: [String]] = [:]
        var order: [ItemID] = []
        for record in try Datasets.captions(from: url, splits: splits) {
            if captions[record.imageId] == nil { order.append(record.imageId) }
            captions[record.imageId, default: []].append(record.caption)
        }
        if url.pathExtension.lowercased() == "json", let listed = cocoImageOrder(url) {
            var seen = Set<ItemID>()
            let inImages = listed.filter { captions[$0] != nil && seen.insert($0).inserted }
            order = inImages + order.filter { !seen.contains($0) }
        }
        return References(captions: captions, imageOrder: order)
    }

    /// The ids of a COCO file's `images` list, in order; nil for files without one (Karpathy images have
    /// no `id`).
    private static func cocoImageOrder(_ url: URL) -> [ItemID]? {
        struct Listing: Decodable {
            struct Image: Decodable { let id: ItemID? }
            let images: [Image]?
            let annotations: [Skip]?
        }
        struct Skip: Decodable {}
        guard let data = try? Foundation.Data(contentsOf: url, options: .mappedIfSafe),
              let listing = try? JSONDecoder().decode(Listing.self, from: data),
              listing.annotations != nil, let images = listing.images else { return nil }
        let ids = images.compactMap(\.id)
        return ids.count == images.count ? ids : nil
    }

    /// The images of the results with their references, in the order pycocoevalcap evaluates them:
    /// `cocoEval.params['image_id'] = cocoRes.getImgIds()` visits the results' images in the references'
    /// image order, and tokenizes their captions in that order (which matters where the PTB lexer looks
    /// past the end of a caption). Throws for a repeated image id (pycocoevalcap asserts one candidate per
    /// image) and for an image the references do not caption, naming the results file.
    public static func pair(_ results: [Result], resultsFile: String,
                            references: References, referencesFile: String) throws -> [ImageCaptions] {
        var candidates: [ItemID: String] = [:]
        for result in results {
            guard candidates[result.imageId] == nil else {
                throw MetricsError.duplicateImage(file: resultsFile, imageId: result.imageId.description)
            }
            guard let refs = references.captions[result.imageId], !refs.isEmpty else {
                throw MetricsError.noReferences(resultsFile: resultsFile, imageId: result.imageId.description,
                                                referencesFile: referencesFile)
            }
            candidates[result.imageId] = result.caption
        }
        return references.imageOrder.compactMap { id in
            guard let candidate = candidates[id], let refs = references.captions[id] else { return nil }
            return ImageCaptions(imageId: id, candidate: candidate, references: refs)
        }
    }

    /// `readResults`, `readReferences` and `pair` together.
    public static func load(results: URL, references: URL, splits: [String]? = nil,
                            allowEmptyCaptions: Bool = false) throws -> [ImageCaptions] {
        let candidates = try readResults(results, allowEmptyCaptions: allowEmptyCaptions)
        let refs = try readReferences(references, splits: splits)
        return try pair(candidates, resultsFile: results.path, references: refs, referencesFile: references.path)
    }
}
