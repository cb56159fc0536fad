// Loads Tests/Fixtures/images/manifest.json, written by Tests/Fixtures/gen_images.py.
import Foundation
import Imaging
import TestSupport
import Testing

struct ImageManifest: Decodable {
    struct Reference: Decodable { let transformers: String; let pillow: String }
    struct Case: Decodable, CustomTestStringConvertible {
        let file: String
        let format: String
        let pilMode: String
        let width: Int
        let height: Int
        let decoded: String
        let preprocessed: [String: String]
        var testDescription: String { file }
        enum CodingKeys: String, CodingKey {
            case file, format, width, height, decoded, preprocessed
            case pilMode = "pil_mode"
        }
    }
    struct Resize: Decodable, CustomTestStringConvertible {
        let source: String, filter: String, width: Int, height: Int, expected: String
        var testDescription: String { expected }
    }
    struct BadFile: Decodable, CustomTestStringConvertible {
        let file: String, error: String, pillow: String
        var testDescription: String { file }
    }
    let reference: Reference
    let configs: [String]
    let cases: [Case]
    let resizes: [Resize]
    let errors: [BadFile]
}

enum ImageFixtures {
    static let directory = fixturesDirectory.appendingPathComponent("images")
    static let expectedDirectory = directory.appendingPathComponent("expected")

    /// The manifest; an empty one (so parameterized tests have no arguments) if it is missing, in
    /// which case `manifestIsPresent` fails loudly.
    static let manifest: ImageManifest = {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url),
              let manifest = try? JSONDecoder().decode(ImageManifest.self, from: data) else {
            return ImageManifest(reference: .init(transformers: "?", pillow: "?"), configs: [], cases: [], resizes: [], errors: [])
        }
        return manifest
    }()

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    static func expectedURL(_ name: String) -> URL { expectedDirectory.appendingPathComponent(name) }
    static func configFolder(_ name: String) -> URL { directory.appendingPathComponent("configs").appendingPathComponent(name) }

    /// (config name, case) pairs for every preprocessed expectation.
    static var preprocessCases: [(String, ImageManifest.Case)] {
        manifest.cases.flatMap { c in c.preprocessed.keys.sorted().map { ($0, c) } }
    }
}

/// Largest absolute difference between two equally long byte arrays (Int.max when lengths differ).
func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    guard a.count == b.count else { return .max }
    var worst = 0
    for i in a.indices { worst = max(worst, abs(Int(a[i]) - Int(b[i]))) }
    return worst
}
