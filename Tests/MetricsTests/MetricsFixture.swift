import Data
import Foundation
import Metrics
import TestSupport

/// Tests/Fixtures/metrics/corpus.json, written by Tests/Fixtures/gen_metrics.py from pycocoevalcap 1.2.
struct MetricsFixture: Decodable {
    struct Image: Decodable {
        let imageId: Int
        let candidate: String
        let references: [String]
        /// The jar's raw output lines (lowercased tokens, punctuation kept).
        let ptbCandidate: String
        let ptbReferences: [String]
        /// pycocoevalcap's tokenized strings (what its scorers receive).
        let tokenizedCandidate: String
        let tokenizedReferences: [String]

        enum CodingKeys: String, CodingKey {
            case imageId = "image_id", candidate, references
            case ptbCandidate = "ptb_candidate", ptbReferences = "ptb_references"
            case tokenizedCandidate = "tokenized_candidate", tokenizedReferences = "tokenized_references"
        }
    }

    let corpus: [String: Double]
    let perImage: [String: [Double]]
    let images: [Image]
    let timingSeconds: [String: Double]

    enum CodingKeys: String, CodingKey {
        case corpus, images
        case perImage = "per_image", timingSeconds = "timing_seconds"
    }

    static let url = fixturesDirectory.appendingPathComponent("metrics/corpus.json")

    static func load() throws -> MetricsFixture {
        try JSONDecoder().decode(MetricsFixture.self, from: Foundation.Data(contentsOf: url))
    }

    /// pycocoevalcap's tokenized strings as scorer input.
    var pycocoevalcapSamples: [CaptionSample] {
        images.map { CaptionSample(candidate: $0.tokenizedCandidate, references: $0.tokenizedReferences) }
    }

    var rawImages: [ImageCaptions] {
        images.map { ImageCaptions(imageId: .int($0.imageId), candidate: $0.candidate, references: $0.references) }
    }

    /// Java on PATH and an installed pycocoevalcap's meteor-1.5.jar (or $CLIPCAP_METEOR_JAR).
    static let meteorTools: (jar: URL, java: URL)? = {
        guard let java = JavaTools.java(), let jar = JavaTools.meteorJar() else { return nil }
        return (jar, java)
    }()
}
