// GapAnalysis: the CLIP modality gap (DESIGN.md §6), measured and closed. `ModalityGap` below is the
// entry point (its doc comment shows a sweep in five lines).
//
// The pieces are public too, for other experiments: `GapStats.compute`, `LinearProbe`, `MeanShift`,
// `RotationAlignment` (over `ThinSVD`), `ExactTransport` (GLPK, certified), `EntropicTransport`
// (log-domain Sinkhorn), `MemoryProjection` (DeCap), `PrincipalPlane` (2-D PCA for plots) and
// `GapBenchmark` (timings for `clipcap bench ot|svd`).

import Data
import Foundation
import Tensor

/// An image cloud and a text cloud, L2-normalized (unless asked not to), with the pairs that match them.
/// Every statistic and alignment works on these normalized rows.
///
/// A sweep over every alignment (`a.writeStore(to:rows: gap.imageRows)` would save one for decoding):
///
/// ```swift
/// let gap = try ModalityGap.load(image: URL(fileURLWithPath: "image.safetensors"), text: URL(fileURLWithPath: "text.safetensors"))
/// print(try gap.stats().csvRows)                        // centroid gap, matched and cone cosines, probe
/// for method in AlignmentMethod.allCases {
///     let a = try gap.align(method, options: .init(cost: .euclidean, epsilon: 0.05, temperature: 0.01))
///     print(method, a.cost, a.seconds, gap.matchedCosines(of: a.aligned).reduce(0, +) / Double(gap.pairs.matchedImageCount)) }
/// ```
public struct ModalityGap: Sendable {
    /// [N_img, D].
    public let image: Tensor
    /// [N_txt, D].
    public let text: Tensor
    /// Image row ↔ text rows with the same `image_id`.
    public let pairs: MatchedPairs
    /// Names used in errors: the stores' paths, or "image cloud" / "text cloud".
    public let imageName: String
    public let textName: String
    /// The image store's sidecar rows (for writing aligned stores); empty for clouds built from tensors.
    public let imageRows: [JSONValue]
    public let normalized: Bool

    /// From two embedding stores. Throws, naming the file, for a width mismatch, an empty store, a zero
    /// or non-finite row.
    public init(image: EmbeddingStore, text: EmbeddingStore, normalize: Bool = true) throws {
        try self.init(image: image.embeddings, text: text.embeddings,
                      pairs: MatchedPairs(imageRows: image.rows, textRows: text.rows),
                      imageName: image.url?.path ?? "image cloud", textName: text.url?.path ?? "text cloud",
                      imageRows: image.rows, normalize: normalize)
    }

    /// From tensors built in memory ([N_img, D] and [N_txt, D]).
    public init(image: Tensor, text: Tensor, pairs: MatchedPairs? = nil, imageName: String = "image cloud",
                textName: String = "text cloud", imageRows: [JSONValue] = [], normalize: Bool = true) throws {
        guard image.rank == 2 else { throw GapError.tooFewRows(file: imageName, rows: 0, needed: 1, purpose: "a [N, D] cloud") }
        guard text.rank == 2 else { throw GapError.tooFewRows(file: textName, rows: 0, needed: 1, purpose: "a [N, D] cloud") }
        guard image.shape[1] == text.shape[1] else {
            throw GapError.dimensionMismatch(image: imageName, imageDimension: image.shape[1], text: textName,
                                             textDimension: text.shape[1])
        }
        guard image.shape[0] >= 1 else { throw GapError.tooFewRows(file: imageName, rows: 0, needed: 1, purpose: "the gap analysis") }
        guard text.shape[0] >= 1 else { throw GapError.tooFewRows(file: textName, rows: 0, needed: 1, purpose: "the gap analysis") }
        if normalize {
            self.image = try normalizedRows(image, name: imageName)
            self.text = try normalizedRows(text, name: textName)
        } else {
            try checkFinite(image, name: imageName)
            try checkFinite(text, name: textName)
            self.image = image
            self.text = text
        }
        let pairs = pairs ?? MatchedPairs(unmatched: image.shape[0])
        guard pairs.textRows.count == image.shape[0],
              pairs.textRows.allSatisfy({ $0.allSatisfy { (0..<text.shape[0]).contains($0) } }) else {
            throw GapError.invalidParameter(name: "pairs", value: "(\(pairs.textRows.count) image rows)",
                                            reason: "need one entry per image row of \(imageName), naming rows of \(textName)")
        }
        self.pairs = pairs
        self.imageName = imageName
        self.textName = textName
        self.imageRows = imageRows
        self.normalized = normalize
    }

    /// Reads both stores (`EmbeddingStore.read`) and builds the gap.
    public static func load(image: URL, text: URL, normalize: Bool = true) throws -> ModalityGap {
        try ModalityGap(image: try EmbeddingStore.read(image), text: try EmbeddingStore.read(text), normalize: normalize)
    }

    public var imageCount: Int { image.shape[0] }
    public var textCount: Int { text.shape[0] }
    public var dimension: Int { image.shape[1] }

    /// The gap statistics (`GapStats`); the probe runs unless `probe` is nil.
    public func stats(probe: LinearProbe? = LinearProbe()) throws -> GapStats {
        try GapStats.compute(image: image, text: text, pairs: pairs, probe: probe, imageName: imageName, textName: textName)
    }

    /// Maps the image cloud toward the text cloud. `progress` reports each LP solve of `ot`.
    public func align(_ method: AlignmentMethod, options: AlignmentOptions = .init(),
                      progress: ((ExactTransport.Progress) -> Void)? = nil) throws -> Alignment {
        try Alignment.run(method, image: image, text: text, options: options, progress: progress)
    }

    /// Per matched image (row order), the mean cosine to its captions: of the image cloud itself, or of an
    /// aligned cloud with the same rows.
    public func matchedCosines(of cloud: Tensor? = nil) -> [Double] {
        GapStats.matchedCosines(image: cloud ?? image, text: text, pairs: pairs)
    }

    /// The 2-D PCA picture of both clouds (`PrincipalPlane`); `aligned` adds a third cloud projected on
    /// the same plane.
    public func principalPlane(aligned: Tensor? = nil) throws -> PrincipalPlane {
        try PrincipalPlane(image: image, text: text, aligned: aligned)
    }
}
