import Foundation
import Testing
import Data

/// Every reader error is one line that names the file (and the line or key where one applies).
@Suite final class DatasetErrorTests {
    // Swift Testing makes a fresh instance per test: each gets its own folder, removed with it.
    let dir: URL
    init() throws { dir = try makeTemporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    @Test func missingFile() throws {
        for name in ["nope.txt", "nope.json", "nope.csv", "nope.jsonl", "nope.token", "nope.xyz"] {
            let url = dir.appendingPathComponent(name)
            expectDiagnostic(naming: url.path, containing: ["no such file"]) { _ = try Datasets.captions(from: url) }
            expectDiagnostic(naming: url.path, containing: ["no such file"]) { _ = try Datasets.images(from: url) }
        }
    }

    @Test func unsupportedExtension() throws {
        let url = try writeFile("a caption", "captions.md", in: dir)
        expectDiagnostic(naming: url.path, containing: ["unsupported format", ".md"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func malformedJSON() throws {
        // JSONDecoder does not say where; the message gives the line and column of the first syntax error.
        let url = try writeFile("{\n  \"images\": [\n    {\"sentences\": [}\n", "broken.json", in: dir)
        expectDiagnostic(naming: url.path + ":3", containing: ["not valid JSON at column 20"]) { _ = try Datasets.captions(from: url) }
        expectDiagnostic(naming: url.path + ":3", containing: ["not valid JSON"]) {
            _ = try Datasets.images(from: url, imagesRoot: dir)
        }
        let latin1 = dir.appendingPathComponent("latin1.json")
        try Data(#"{"annotations": [{"image_id": 1, "id": 1, "caption": "caf"#.utf8 + [0xE9] + Array(#""}]}"#.utf8)).write(to: latin1)
        expectDiagnostic(naming: latin1.path + ":1", containing: ["UTF-8"]) { _ = try Datasets.captions(from: latin1) }
    }

    @Test func jsonTopLevelNotAnObject() throws {
        let url = try writeFile("[1, 2]", "array.json", in: dir)
        expectDiagnostic(naming: url.path, containing: ["top level"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func jsonNeitherLayout() throws {
        let url = try writeFile(#"{"images": [{"id": 1}]}"#, "other.json", in: dir)
        expectDiagnostic(naming: url.path, containing: ["annotations", "sentences"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func karpathyMissingKeyNamesThePath() throws {
        let url = try writeFile(#"{"images": [{"imgid": 0, "split": "test", "sentences": [{"sentid": 0, "raw": "ok"}, {"sentid": 1}]}]}"#,
                                "karpathy.json", in: dir)
        expectDiagnostic(naming: url.path, containing: ["images[0].sentences[1].raw", "missing"]) {
            _ = try Datasets.captions(from: url)
        }
    }

    @Test func cocoWrongTypeNamesThePath() throws {
        let url = try writeFile(#"{"annotations": [{"image_id": 1, "id": 2, "caption": "x"}, {"image_id": 1.5, "id": 3, "caption": "y"}]}"#,
                                "coco.json", in: dir)
        expectDiagnostic(naming: url.path, containing: ["annotations[1].image_id"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func csvMissingColumnNamesTheLine() throws {
        let url = try writeFile("image_id,caption_id,caption\n1,1,\"multi\nline\"\n2,2\n", "short.csv", in: dir)
        expectDiagnostic(naming: url.path + ":4", containing: ["expected 3 fields", "found 2"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func csvBadQuoting() throws {
        let bare = try writeFile("image_id,caption\n1,say \"hi\"\n", "bare.csv", in: dir)
        expectDiagnostic(naming: bare.path + ":2", containing: ["quote"]) { _ = try Datasets.captions(from: bare) }
        let unterminated = try writeFile("image_id,caption\n1,ok\n2,\"never\nclosed\n", "open.csv", in: dir)
        expectDiagnostic(naming: unterminated.path + ":3", containing: ["unterminated"]) { _ = try Datasets.captions(from: unterminated) }
        let after = try writeFile("image_id,caption\n1,\"ab\"c\n", "after.csv", in: dir)
        expectDiagnostic(naming: after.path + ":2", containing: ["closing quote"]) { _ = try Datasets.captions(from: after) }
    }

    @Test func csvMissingRequiredColumn() throws {
        let noImage = try writeFile("id,caption\n1,x\n", "noimage.csv", in: dir)
        expectDiagnostic(naming: noImage.path + ":1", containing: ["image_id"]) { _ = try Datasets.captions(from: noImage) }
        let noCaption = try writeFile("image_id,text\n1,x\n", "nocaption.csv", in: dir)
        expectDiagnostic(naming: noCaption.path + ":2", containing: ["caption"]) { _ = try Datasets.captions(from: noCaption) }
        expectDiagnostic(naming: noCaption.path + ":2", containing: ["path"]) { _ = try Datasets.images(from: noCaption) }
    }

    @Test func jsonlBadLines() throws {
        let bad = try writeFile("{\"image_id\": 1, \"caption\": \"a\"}\n{\"image_id\": 2, caption: \"b\"}\n", "bad.jsonl", in: dir)
        expectDiagnostic(naming: bad.path + ":2", containing: ["invalid JSON", "column 17"]) { _ = try Datasets.captions(from: bad) }
        let noCaption = try writeFile("{\"image_id\": 1}\n", "nocap.jsonl", in: dir)
        expectDiagnostic(naming: noCaption.path + ":1", containing: ["caption", "missing"]) { _ = try Datasets.captions(from: noCaption) }
        let wrongType = try writeFile("{\"image_id\": [1], \"caption\": \"a\"}\n", "type.jsonl", in: dir)
        expectDiagnostic(naming: wrongType.path + ":1", containing: ["image_id"]) { _ = try Datasets.captions(from: wrongType) }
    }

    @Test func flickrBadLine() throws {
        let url = try writeFile("a.jpg#0\tok\nno tab here\n", "tokens.txt", in: dir)
        expectDiagnostic(naming: url.path + ":2", containing: ["IMAGE#K"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let url = dir.appendingPathComponent("latin1.txt")
        try Data("ok\nfa".utf8 + [0xE7, 0x61] + Array("de\n".utf8)).write(to: url)
        expectDiagnostic(naming: url.path + ":2", containing: ["UTF-8"]) { _ = try Datasets.captions(from: url) }
    }

    @Test func emptyResults() throws {
        let blank = try writeFile("\n  \n\n", "blank.txt", in: dir)
        expectDiagnostic(naming: blank.path, containing: ["no captions in"]) { _ = try Datasets.captions(from: blank) }
        let empty = try writeFile("", "empty.txt", in: dir)
        expectDiagnostic(naming: empty.path, containing: ["no captions in"]) { _ = try Datasets.captions(from: empty) }
        expectDiagnostic(naming: empty.path, containing: ["no images in"]) { _ = try Datasets.images(from: empty) }
        let header = try writeFile("image_id,caption\n", "header.csv", in: dir)
        expectDiagnostic(naming: header.path, containing: ["no captions in"]) { _ = try Datasets.captions(from: header) }
        let karpathy = dataFixtures.appendingPathComponent("karpathy_coco.json")
        expectDiagnostic(naming: karpathy.path, containing: ["no captions in", "val"]) {
            _ = try Datasets.captions(from: karpathy, splits: ["val"])
        }
    }

    @Test func folderIsNotACaptionFile() throws {
        expectDiagnostic(naming: dir.path) { _ = try Datasets.captions(from: dir) }
    }

    @Test func descriptionsAreOneLine() {
        let errors: [DataError] = [
            .missingFile("/f"), .unreadable(file: "/f", reason: "a\nb"), .malformed(file: "/f", line: 3, reason: "x\r\ny"),
            .missingKey(file: "/f", line: nil, key: "k", reason: "missing"), .unsupportedFormat(file: "/f", reason: "r"),
            .noCaptions(file: "/f", splits: nil), .noImages(path: "/f", splits: ["a"]), .imagesRootRequired(file: "/f"),
            .rowCountMismatch(file: "/f", rows: 1, embeddings: 2), .badShape(file: "/f", tensor: "t", shape: [1]),
            .badStorePath("/f"),
        ]
        for error in errors {
            let oneLine = !error.description.contains(where: \.isNewline)
            #expect(oneLine, "\(error.description)")
            #expect(error.description.contains("/f"))
        }
        #expect(DataError.malformed(file: "/f", line: 3, reason: "bad").description == "/f:3: bad")
    }
}
