import Data
import Foundation
import Imaging
import Tensor
import Testing
import TestSupport
@testable import World

func tempFolder() throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("world-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
}

/// Every file below `folder`, by relative path, with its bytes.
func files(in folder: URL) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let fm = FileManager.default
    for case let path as String in fm.enumerator(atPath: folder.path)! {
        var isDirectory: ObjCBool = false
        let url = folder.appendingPathComponent(path)
        if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            out[path] = try Data(contentsOf: url)
        }
    }
    return out
}

@Suite struct GeneratorTests {
    @Test func sameSeedGivesByteIdenticalFiles() throws {
        let root = try tempFolder()
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b"), c = root.appendingPathComponent("c")
        try WorldGenerator(seed: 11).generate(to: a, images: 40, val: 5, test: 5)
        try WorldGenerator(seed: 11).generate(to: b, images: 40, val: 5, test: 5)
        try WorldGenerator(seed: 12).generate(to: c, images: 40, val: 5, test: 5)
        let fa = try files(in: a), fb = try files(in: b), fc = try files(in: c)
        #expect(fa.count == 42)  // 40 images, dataset.json, attributes.json
        #expect(fa.keys.sorted() == fb.keys.sorted())
        for (path, bytes) in fa { #expect(fb[path] == bytes, "\(path) differs between two runs with one seed") }
        // Another seed gives another world.
        #expect(fc["dataset.json"] != fa["dataset.json"])
        #expect((0..<40).filter { fc["images/" + WorldGenerator.filename($0, total: 40)] != fa["images/" + WorldGenerator.filename($0, total: 40)] }.count >= 38)
        // Nothing else was left beside the outputs (the staging folders are gone).
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["a", "b", "c"])
    }

    @Test func karpathyReaderAcceptsTheDataset() throws {
        let folder = try tempFolder().appendingPathComponent("world")
        try WorldGenerator(seed: 3).generate(to: folder, images: 30, val: 4, test: 6)
        let dataset = folder.appendingPathComponent("dataset.json")
        let all = try Datasets.captions(from: dataset)
        #expect(all.count == 150)
        #expect(Set(all.map(\.captionId)).count == 150)
        #expect(all.first == CaptionRecord(imageId: .int(0), captionId: .int(0), caption: all[0].caption))
        let test = try Datasets.captions(from: dataset, splits: ["test"])
        #expect(Set(test.map(\.imageId)) == Set((24..<30).map { ItemID.int($0) }))
        #expect(try Datasets.captions(from: dataset, splits: ["val"]).count == 20)
        let images = try Datasets.images(from: dataset, imagesRoot: folder, splits: ["train"])
        #expect(images.count == 20)
        for record in images {
            #expect(FileManager.default.fileExists(atPath: record.path), "\(record.path)")
        }
        #expect(images[3].path == folder.appendingPathComponent("images/00003.png").path)
        // The attributes file describes the same images, and every image decodes at the configured size.
        let attributes = try WorldAttributes.read(folder.appendingPathComponent("attributes.json"))
        #expect(attributes.images.map(\.imgid) == Array(0..<30))
        #expect(attributes.images.map(\.split) == Array(repeating: "train", count: 20) + Array(repeating: "val", count: 4) + Array(repeating: "test", count: 6))
        let decoded = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: images[0].path))
        #expect(decoded.width == 64 && decoded.height == 64)
        #expect(decoded.pixels == Rasterizer().render(attributes.images[0].scene))
    }

    @Test func tokensAreTheLowercasedWordsOfEachCaption() throws {
        let folder = try tempFolder().appendingPathComponent("world")
        try WorldGenerator(seed: 5).generate(to: folder, images: 6, val: 0, test: 0)
        let json = try JSONValue(parsing: String(contentsOf: folder.appendingPathComponent("dataset.json"), encoding: .utf8))
        guard case .array(let images)? = json["images"], case .array(let sentences)? = images[2]["sentences"] else {
            Issue.record("no images[2].sentences"); return
        }
        #expect(images[2]["filepath"]?.stringValue == "images")
        #expect(images[2]["sentids"] == .array((10..<15).map { .int($0) }))
        for sentence in sentences {
            let raw = sentence["raw"]?.stringValue ?? ""
            let tokens = raw.lowercased().split { !$0.isLetter && !$0.isNumber }.map { JSONValue.string(String($0)) }
            #expect(sentence["tokens"] == .array(tokens), "\(raw)")
        }
    }

    @Test func refusesBadSettingsAndForeignFolders() throws {
        let root = try tempFolder()
        let out = root.appendingPathComponent("w")
        #expect(throws: WorldError.badConfig("val (6) + test (5) exceeds the 10 images")) {
            try WorldGenerator().generate(to: out, images: 10, val: 6, test: 5)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // A folder holding something else is not replaced.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: out.appendingPathComponent("notes.txt"))
        #expect(throws: WorldError.self) { try WorldGenerator().generate(to: out, images: 3, val: 0, test: 1) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])
        // A previous world is replaced whole.
        let world = root.appendingPathComponent("world")
        try WorldGenerator(seed: 1).generate(to: world, images: 8, val: 1, test: 1)
        try WorldGenerator(seed: 2).generate(to: world, images: 3, val: 1, test: 1)
        #expect(try files(in: world).count == 5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["w", "world"])
    }

    @Test func fileNamesWidenPastFiveDigits() {
        #expect(WorldGenerator.filename(7, total: 10) == "00007.png")
        #expect(WorldGenerator.filename(99_999, total: 100_000) == "99999.png")
        #expect(WorldGenerator.filename(42, total: 100_001) == "000042.png")
    }
}
