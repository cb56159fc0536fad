import Foundation
import Testing
import Data

/// `Datasets.images(from:)` on folders, path lists and dataset files.
@Suite struct ImagesTests {
    func image(_ id: ItemID, _ path: String) -> ImageRecord { ImageRecord(imageId: id, path: path) }

    @Test func folder() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["b.PNG", "a.jpg", "c.JpEg", "notes.txt", "d.gif", ".hidden.jpg", "sub/e.jpg", "z.jpg.bak"] {
            try writeFile("x", name, in: dir)
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder.jpg"), withIntermediateDirectories: true)
        let records = try Datasets.images(from: dir)
        #expect(records == ["a.jpg", "b.PNG", "c.JpEg"].map { image(.string($0), dir.appendingPathComponent($0).path) })
    }

    @Test func emptyFolder() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeFile("x", "readme.md", in: dir)
        expectDiagnostic(naming: dir.path, containing: ["no images in"]) { _ = try Datasets.images(from: dir) }
    }

    @Test func pathList() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let list = try writeFile("a/one.jpg\n/abs/two.png\n\n  three.JPG  \n", "lists/images.txt", in: dir)
        let listDir = list.deletingLastPathComponent()
        #expect(try Datasets.images(from: list) == [
            image(.string("a/one.jpg"), listDir.appendingPathComponent("a/one.jpg").path),
            image(.string("/abs/two.png"), "/abs/two.png"),
            image(.string("three.JPG"), listDir.appendingPathComponent("three.JPG").path),
        ])
    }

    @Test func karpathyWithImagesRoot() throws {
        let root = URL(fileURLWithPath: "/data/coco/images")
        let url = dataFixtures.appendingPathComponent("karpathy_coco.json")
        #expect(try Datasets.images(from: url, imagesRoot: root) == [
            image(.int(42), "/data/coco/images/val2014/COCO_val2014_000000000042.jpg"),
            image(.int(73), "/data/coco/images/train2014/COCO_train2014_000000000073.jpg"),
            image(.int(99), "/data/coco/images/val2014/COCO_val2014_000000000099.jpg"),
        ])
        #expect(try Datasets.images(from: url, imagesRoot: root, splits: ["test"]) == [
            image(.int(42), "/data/coco/images/val2014/COCO_val2014_000000000042.jpg"),
        ])
        expectDiagnostic(naming: url.path, containing: ["no images in", "test2"]) {
            _ = try Datasets.images(from: url, imagesRoot: root, splits: ["test2"])
        }
    }

    @Test func karpathyFlickrHasNoFilepath() throws {
        let url = dataFixtures.appendingPathComponent("karpathy_flickr.json")
        #expect(try Datasets.images(from: url, imagesRoot: URL(fileURLWithPath: "/f30k")) == [
            image(.int(0), "/f30k/1000092795.jpg"), image(.int(1), "/f30k/10002456.jpg"),
        ])
    }

    @Test func cocoCaptionsImages() throws {
        let url = dataFixtures.appendingPathComponent("coco_captions.json")
        #expect(try Datasets.images(from: url, imagesRoot: URL(fileURLWithPath: "/val2014")) == [
            image(.int(42), "/val2014/COCO_val2014_000000000042.jpg"), image(.int(73), "/val2014/COCO_val2014_000000000073.jpg"),
        ])
    }

    @Test func flickrTokensUniqueImages() throws {
        let url = dataFixtures.appendingPathComponent("flickr30k.token.txt")
        #expect(try Datasets.images(from: url, imagesRoot: URL(fileURLWithPath: "/f30k")) == [
            image(.string("1000092795.jpg"), "/f30k/1000092795.jpg"), image(.string("10002456.jpg"), "/f30k/10002456.jpg"),
        ])
    }

    @Test func jsonlWithPaths() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try writeFile("""
            {"image_id": 1, "path": "img/1.jpg", "caption": "a"}
            {"image_id": 1, "path": "img/1.jpg", "caption": "b"}
            {"image_id": 2, "path": "/abs/2.jpg"}
            """, "rows.jsonl", in: dir)
        #expect(try Datasets.images(from: url) == [
            image(.int(1), dir.appendingPathComponent("img/1.jpg").path), image(.int(2), "/abs/2.jpg"),
        ])
        #expect(try Datasets.images(from: url, imagesRoot: URL(fileURLWithPath: "/root")).map(\.path) == ["/root/img/1.jpg", "/abs/2.jpg"])
    }

    @Test func datasetNeedsImagesRoot() throws {
        for name in ["karpathy_coco.json", "coco_captions.json", "flickr30k.token.txt"] {
            let url = dataFixtures.appendingPathComponent(name)
            expectDiagnostic(naming: url.path, containing: ["images folder"]) { _ = try Datasets.images(from: url) }
        }
    }
}
