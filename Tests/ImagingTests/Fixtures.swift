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
    struct ResizeSweep: Decodable {
        let source: String, filter: String, width: Int, height: Int, crc32: UInt32
    }
    struct CLIPSweep: Decodable {
        let source: String, width: Int, height: Int, config: String, crc32: UInt32
        let outWidth: Int, outHeight: Int
        enum CodingKeys: String, CodingKey {
            case source, width, height, config, crc32
            case outWidth = "out_width"
            case outHeight = "out_height"
        }
    }
    let reference: Reference
    let configs: [String]
    let cases: [Case]
    let resizes: [Resize]
    let resizeSweep: [ResizeSweep]
    let clipSweep: [CLIPSweep]
    let errors: [BadFile]
    enum CodingKeys: String, CodingKey {
        case reference, configs, cases, resizes, errors
        case resizeSweep = "resize_sweep"
        case clipSweep = "clip_sweep"
    }
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
            return ImageManifest(reference: .init(transformers: "?", pillow: "?"), configs: [], cases: [], resizes: [],
                                 resizeSweep: [], clipSweep: [], errors: [])
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

/// CRC-32 (zlib's and PNG's), table-driven.
func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = crcTable[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
}

private let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    return c
}

/// Pillow's filter names in the manifest.
let filtersByName: [String: ResampleFilter] = [
    "lanczos": .lanczos, "bilinear": .bilinear, "bicubic": .bicubic, "box": .box, "hamming": .hamming,
]

extension RGBImage {
    /// The top-left `width`×`height` sub-image (Pillow's crop((0, 0, width, height))).
    func topLeft(width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height { pixels += self.pixels[(y * self.width * 3)..<((y * self.width + width) * 3)] }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
