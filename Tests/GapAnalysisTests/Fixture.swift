import Foundation
import GapAnalysis
import Tensor
import TestSupport

/// Tests/Fixtures/gap, written by Tests/Fixtures/gen_gap.py (numpy + POT).
struct GapFixture {
    static let directory = fixturesDirectory.appendingPathComponent("gap")
    static let shared = try! GapFixture()   // test-only: a missing fixture should stop every test loudly

    let file: SafeTensorsFile
    let scalars: [String: Any]

    init() throws {
        file = try SafeTensorsFile(path: GapFixture.directory.appendingPathComponent("gap_reference.safetensors").path)
        let json = try Data(contentsOf: GapFixture.directory.appendingPathComponent("gap_reference.json"))
        scalars = try JSONSerialization.jsonObject(with: json) as! [String: Any]
    }

    /// One small case: "equal" (40 × 16 vs 40 × 16) or "unequal" (30 vs 45, some images with 2 captions).
    struct Case {
        let name: String
        let gap: ModalityGap
        let rawImage: Tensor
        let rawText: Tensor
        let reference: [String: Any]
        let file: SafeTensorsFile

        func tensor(_ key: String) throws -> Tensor { try file.tensor("\(name)/\(key)") }
        func double(_ key: String) -> Double { (reference[key] as! NSNumber).doubleValue }
    }

    func load(_ name: String) throws -> Case {
        let image = try file.tensor("\(name)/image"), text = try file.tensor("\(name)/text")
        let imageIds = try file.integers("\(name)/image_ids").values, textIds = try file.integers("\(name)/text_ids").values
        let pairs = MatchedPairs(textRows: imageIds.map { id in textIds.indices.filter { textIds[$0] == id } })
        let gap = try ModalityGap(image: image, text: text, pairs: pairs)
        return Case(name: name, gap: gap, rawImage: image, rawText: text,
                    reference: scalars[name] as! [String: Any], file: file)
    }

    var large: [String: [String: Any]] { scalars["large"] as! [String: [String: Any]] }
}
