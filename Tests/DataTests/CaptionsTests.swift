import Foundation
import Testing
import Data

/// `Datasets.captions(from:)` on every input format, with the exact records expected.
@Suite struct CaptionsTests {
    func fixture(_ name: String) -> URL { dataFixtures.appendingPathComponent(name) }
    func caption(_ image: ItemID, _ id: ItemID, _ text: String) -> CaptionRecord {
        CaptionRecord(imageId: image, captionId: id, caption: text)
    }

    @Test func plainText() throws {
        // Blank and whitespace-only lines are dropped; ids count kept lines; text is trimmed.
        let records = try Datasets.captions(from: fixture("captions.txt"))
        #expect(records == [
            caption(.int(0), .int(0), "A dog runs on the beach."),
            caption(.int(1), .int(1), "Ein Hund läuft am Strand."),
            caption(.int(2), .int(2), "一只狗在海滩上奔跑。"),
            caption(.int(3), .int(3), "Café au lait ☕"),
        ])
    }

    @Test func plainTextCRLFAndNoFinalNewline() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try writeFile("\u{FEFF}first\r\n\r\nsecond", "crlf.txt", in: dir)
        #expect(try Datasets.captions(from: url) == [caption(.int(0), .int(0), "first"), caption(.int(1), .int(1), "second")])
    }

    @Test func karpathyCOCO() throws {
        let url = fixture("karpathy_coco.json")
        // cocoid is the image id; sentid the caption id; raw kept exactly.
        let all = try Datasets.captions(from: url)
        #expect(all == [
            caption(.int(42), .int(10), "A cat on a mat."),
            caption(.int(42), .int(11), "A cat sitting, \"calmly\"."),
            caption(.int(73), .int(12), "Two dogs play."),
            caption(.int(99), .int(13), "A red bus."),
        ])
        let train = try Datasets.captions(from: url, splits: ["train", "restval"])
        #expect(train == [caption(.int(73), .int(12), "Two dogs play."), caption(.int(99), .int(13), "A red bus.")])
        #expect(try Datasets.captions(from: url, splits: ["test"]).map(\.captionId) == [.int(10), .int(11)])
    }

    @Test func karpathyFlickrWithoutCocoid() throws {
        let url = fixture("karpathy_flickr.json")
        // No cocoid: imgid is the image id.
        #expect(try Datasets.captions(from: url) == [
            caption(.int(0), .int(0), "Two young guys with shaggy hair."),
            caption(.int(0), .int(1), "Two men outside."),
            caption(.int(1), .int(2), "Workers on a building."),
        ])
        #expect(try Datasets.captions(from: url, splits: ["test"]) == [caption(.int(1), .int(2), "Workers on a building.")])
    }

    @Test func cocoCaptions() throws {
        // Annotation order; captions exactly as written (trailing newline included).
        #expect(try Datasets.captions(from: fixture("coco_captions.json")) == [
            caption(.int(42), .int(501), "A cat on a mat."),
            caption(.int(73), .int(502), "Two dogs play.\n"),
            caption(.int(42), .int(503), "A cat, \"sitting\" — calmly."),
        ])
    }

    @Test func flickrTokensSniffedFromTxt() throws {
        #expect(try Datasets.captions(from: fixture("flickr30k.token.txt")) == [
            caption(.string("1000092795.jpg"), .int(0), "Two young guys with shaggy hair look at their hands ."),
            caption(.string("1000092795.jpg"), .int(1), "Two young , White males are outside near many bushes ."),
            caption(.string("10002456.jpg"), .int(0), "Several men in hard hats are operating a giant pulley system ."),
        ])
    }

    @Test func flickrTokensByExtension() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try writeFile("a#b.jpg#3\tHash in the name.\n", "results_20130124.token", in: dir)
        #expect(try Datasets.captions(from: url) == [caption(.string("a#b.jpg"), .int(3), "Hash in the name.")])
    }

    @Test func csvQuoting() throws {
        let url = fixture("captions.csv")
        #expect(try Datasets.captions(from: url) == [
            caption(.int(42), .int(501), "A cat, on a mat."),
            caption(.int(42), .int(502), "She said \"hi\"."),
            caption(.int(73), .int(503), "Two lines\nin one caption"),
            caption(.string("flickr_1.jpg"), .int(504), "Plain caption"),
        ])
        #expect(try Datasets.captions(from: url, splits: ["train"]).map(\.captionId) == [.int(503), .int(504)])
    }

    @Test func csvWithoutCaptionIdUsesRowIndex() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Columns in any order; CRLF records; ids that are not canonical integers stay strings.
        let url = try writeFile("caption,image_id\r\nfirst,007\r\n\r\n\"second, with comma\",8\r\n", "c.csv", in: dir)
        #expect(try Datasets.captions(from: url) == [
            caption(.string("007"), .int(0), "first"),
            caption(.int(8), .int(1), "second, with comma"),
        ])
        // No split column: a split filter does not apply.
        #expect(try Datasets.captions(from: url, splits: ["test"]).count == 2)
    }

    @Test func jsonLines() throws {
        // caption_id falls back to the 0-based row index (blank lines are not rows); extra keys are ignored.
        #expect(try Datasets.captions(from: fixture("captions.jsonl")) == [
            caption(.int(42), .int(501), "A cat on a mat."),
            caption(.string("1000092795.jpg"), .int(1), "Ünïcödé \"quoted\" ☃"),
            caption(.int(73), .string("c-3"), "Tab\tand newline\n"),
        ])
    }
}
