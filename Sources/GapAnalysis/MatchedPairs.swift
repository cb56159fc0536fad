import Data
import Foundation

/// Which text rows describe which image row: image row i ↔ every text row with the same `image_id`
/// (DESIGN.md §4 sidecars). With several captions per image (COCO has five), an image is matched to all
/// of them; statistics over pairs average first over the captions of each image, then over images, so
/// every image weighs the same whatever its caption count.
public struct MatchedPairs: Sendable, Equatable {
    /// For each image row, its text rows (possibly none), in text-row order.
    public var textRows: [[Int]]

    public init(textRows: [[Int]]) { self.textRows = textRows }

    /// No pairs for `imageCount` images.
    public init(unmatched imageCount: Int) { textRows = Array(repeating: [], count: imageCount) }

    /// Pairs by equal `image_id` values (`42` and `"42"` are different ids, as in `ItemID`). Rows without
    /// an `image_id` match nothing.
    public init(imageRows: [JSONValue], textRows: [JSONValue]) {
        var byImage: [JSONValue: [Int]] = [:]
        for (j, row) in textRows.enumerated() {
            if let id = row["image_id"] { byImage[id, default: []].append(j) }
        }
        self.textRows = imageRows.map { row in row["image_id"].flatMap { byImage[$0] } ?? [] }
    }

    /// Image rows with at least one caption.
    public var matchedImageCount: Int { textRows.lazy.filter { !$0.isEmpty }.count }
    /// All (image, caption) pairs.
    public var pairCount: Int { textRows.reduce(0) { $0 + $1.count } }
}
