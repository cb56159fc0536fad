import Foundation
import Testing
import Tensor
import Data

/// The embedding store of DESIGN.md section 4: round trips and the checks `read` makes.
@Suite struct EmbeddingStoreTests {
    let embeddings = Tensor(shape: [3, 2], values: [0.1, -2.5, 1e-30, .greatestFiniteMagnitude, -0.0, 3.25])
    let captions = [
        CaptionRecord(imageId: .int(42), captionId: .int(501), caption: "A cat, \"quoted\"\nnew line ☃"),
        CaptionRecord(imageId: .string("1000092795.jpg"), captionId: .int(0), caption: "Tab\there / slash"),
        CaptionRecord(imageId: .int(-1), captionId: .string("x"), caption: ""),
    ]

    func bits(_ t: Tensor) -> [UInt32] { (0..<t.count).map { t.data[$0].bitPattern } }

    @Test func captionRoundTrip() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("text.safetensors")
        try EmbeddingStore.write(embeddings: embeddings, rows: captions, to: url)

        let store = try EmbeddingStore.read(url)
        #expect(store.embeddings.shape == [3, 2])
        #expect(bits(store.embeddings) == bits(embeddings))
        #expect(try store.captionRecords() == captions)
        #expect(store.rows[0]["image_id"] == .int(42))
        // Nothing but the two files: no temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["text.jsonl", "text.safetensors"])
        // The sidecar is one compact object a line, keys in DESIGN.md order.
        let sidecar = try String(contentsOf: dir.appendingPathComponent("text.jsonl"), encoding: .utf8)
        #expect(sidecar.split(separator: "\n", omittingEmptySubsequences: false).count == 4)
        #expect(sidecar.hasPrefix(#"{"image_id":42,"caption_id":501,"caption":"A cat, \"quoted\"\nnew line ☃"}"# + "\n"))
    }

    @Test func imageRoundTripAndRewrite() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = [ImageRecord(imageId: .int(1), path: "/x/1.jpg"), ImageRecord(imageId: .string("b.png"), path: "b c.png"),
                      ImageRecord(imageId: .int(3), path: "/ü/3.jpg")]
        let url = dir.appendingPathComponent("img.safetensors")
        try EmbeddingStore.write(embeddings: embeddings, rows: images, to: url)
        let store = try EmbeddingStore.read(url)
        #expect(try store.imageRecords() == images)
        #expect(throws: DataError.self) { _ = try store.captionRecords() }

        // A store read back and written again (generic rows) is byte-identical, and overwrites in place.
        let before = try Data(contentsOf: dir.appendingPathComponent("img.jsonl"))
        try store.write(to: url)
        #expect(try Data(contentsOf: dir.appendingPathComponent("img.jsonl")) == before)
        #expect(bits(try EmbeddingStore.read(url).embeddings) == bits(embeddings))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["img.jsonl", "img.safetensors"])
    }

    @Test func arbitraryRowsRoundTrip() throws {
        struct Row: Encodable { let image_id: Int; let score: Double; let tags: [String]; let note: String? }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("rows.safetensors")
        let rows = [Row(image_id: 1, score: 0.1, tags: ["a"], note: nil), Row(image_id: 2, score: -1e-5, tags: [], note: "n"),
                    Row(image_id: 3, score: 2, tags: ["b", "c"], note: nil)]
        try EmbeddingStore.write(embeddings: embeddings, rows: rows, to: url)
        let store = try EmbeddingStore.read(url)
        #expect(store.rows == [
            .object(["image_id": .int(1), "score": .double(0.1), "tags": .array([.string("a")])]),
            .object(["image_id": .int(2), "score": .double(-1e-5), "tags": .array([]), "note": .string("n")]),
            .object(["image_id": .int(3), "score": .int(2), "tags": .array([.string("b"), .string("c")])]),
        ])
        expectDiagnostic(naming: dir.appendingPathComponent("rows.jsonl").path, containing: [":1:", "caption_id"]) {
            _ = try store.captionRecords()
        }
    }

    @Test func emptyStore() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("empty.safetensors")
        try EmbeddingStore.write(embeddings: Tensor(zeros: [0, 4]), rows: [CaptionRecord](), to: url)
        let store = try EmbeddingStore.read(url)
        #expect(store.embeddings.shape == [0, 4])
        #expect(store.rows.isEmpty)
    }

    @Test func rowCountMismatchOnWrite() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.safetensors")
        expectDiagnostic(naming: url.path, containing: ["2 rows for 3 embeddings"]) {
            try EmbeddingStore.write(embeddings: embeddings, rows: Array(captions.prefix(2)), to: url)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let wrongName = dir.appendingPathComponent("bad.bin")
        expectDiagnostic(naming: wrongName.path, containing: [".safetensors"]) {
            try EmbeddingStore.write(embeddings: embeddings, rows: captions, to: wrongName)
        }
        let flat = Tensor(shape: [6], values: [1, 2, 3, 4, 5, 6])
        expectDiagnostic(naming: url.path, containing: ["[6]"]) {
            try EmbeddingStore.write(embeddings: flat, rows: captions, to: url)
        }
    }

    /// Writes a good store, then lets `damage` break its sidecar.
    func damagedStore(_ damage: (URL) throws -> Void) throws -> (dir: URL, url: URL, sidecar: URL) {
        let dir = try makeTemporaryDirectory()
        let url = dir.appendingPathComponent("s.safetensors")
        try EmbeddingStore.write(embeddings: embeddings, rows: captions, to: url)
        let sidecar = dir.appendingPathComponent("s.jsonl")
        try damage(sidecar)
        return (dir, url, sidecar)
    }

    @Test func missingSidecar() throws {
        let (dir, url, sidecar) = try damagedStore { try FileManager.default.removeItem(at: $0) }
        defer { try? FileManager.default.removeItem(at: dir) }
        expectDiagnostic(naming: sidecar.path, containing: ["no such file"]) { _ = try EmbeddingStore.read(url) }
    }

    @Test func sidecarBadLine() throws {
        let (dir, url, sidecar) = try damagedStore { s in
            var lines = try String(contentsOf: s, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[1] = #"{"image_id": 1, "caption": "unterminated}"#
            try (lines.joined(separator: "\n") + "\n").write(to: s, atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        expectDiagnostic(naming: sidecar.path + ":2", containing: ["unterminated string"]) { _ = try EmbeddingStore.read(url) }
    }

    @Test func sidecarLineNotAnObject() throws {
        let (dir, url, sidecar) = try damagedStore { s in
            try "{}\n[1, 2]\n{}\n".write(to: s, atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        expectDiagnostic(naming: sidecar.path + ":2", containing: ["an array"]) { _ = try EmbeddingStore.read(url) }
    }

    @Test func sidecarRowCountMismatch() throws {
        let (dir, url, sidecar) = try damagedStore { s in
            try "{}\n{}\n".write(to: s, atomically: false, encoding: .utf8)
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        expectDiagnostic(naming: sidecar.path, containing: ["2 rows for 3 embeddings"]) { _ = try EmbeddingStore.read(url) }

        try "{}\n{}\n\n{}\n".write(to: sidecar, atomically: false, encoding: .utf8)
        expectDiagnostic(naming: sidecar.path + ":3", containing: ["blank line"]) { _ = try EmbeddingStore.read(url) }
    }

    @Test func missingStoreAndMissingTensor() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("none.safetensors")
        expectDiagnostic(naming: url.path, containing: ["no such file"]) { _ = try EmbeddingStore.read(url) }

        let other = dir.appendingPathComponent("other.safetensors")
        try SafeTensorsWriter.write(["weights": embeddings], to: other)
        expectDiagnostic(naming: other.path, containing: ["embeddings"]) { _ = try EmbeddingStore.read(other) }

        let cube = dir.appendingPathComponent("cube.safetensors")
        try SafeTensorsWriter.write(["embeddings": Tensor(zeros: [1, 2, 3])], to: cube)
        expectDiagnostic(naming: cube.path, containing: ["[1, 2, 3]"]) { _ = try EmbeddingStore.read(cube) }
    }
}
