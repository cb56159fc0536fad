import Foundation
import Testing
import Data

@Suite struct JSONValueTests {
    @Test func parsesEveryKind() throws {
        let v = try JSONValue(parsing: #" {"a": [1, -2, 3.5, 1e3, -0, 9223372036854775807, 9223372036854775808], "b": true, "c": null, "d": "\u00e9\ud83d\ude00\n\"", "e": {}} "#)
        #expect(v == .object([
            "a": .array([.int(1), .int(-2), .double(3.5), .double(1000), .int(0), .int(Int.max), .double(9223372036854775808)]),
            "b": .bool(true), "c": .null, "d": .string("é😀\n\""), "e": .object([:]),
        ]))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "tru", "{} {}", "\"a\tb\"", "[1 2]", "{'a': 1}"])
    func rejects(_ text: String) {
        #expect(throws: (any Error).self) { _ = try JSONValue(parsing: text) }
    }

    @Test func writesCompactAndCanonical() throws {
        let v: JSONValue = .object(["zeta": .int(1), "caption": .string("a\"b\\c\u{1}"), "image_id": .int(7), "alpha": .array([.double(0.1), .null, .bool(false)])])
        #expect(v.description == #"{"image_id":7,"caption":"a\"b\\c\u0001","alpha":[0.1,null,false],"zeta":1}"#)
        #expect(try JSONValue(parsing: v.description) == v)
    }

    @Test func codableThroughFoundation() throws {
        let v: JSONValue = .object(["id": .int(3), "x": .double(0.5), "s": .string("t"), "l": .array([.bool(true), .null])])
        let data = try JSONEncoder().encode(v)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == v)
    }

    @Test func itemIDEncodesBare() throws {
        let data = try JSONEncoder().encode([ItemID.int(42), .string("a.jpg")])
        #expect(String(decoding: data, as: UTF8.self) == #"[42,"a.jpg"]"#)
        #expect(try JSONDecoder().decode([ItemID].self, from: data) == [.int(42), .string("a.jpg")])
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode([ItemID].self, from: Data("[1.5]".utf8)) }
        let record = CaptionRecord(imageId: .int(1), captionId: .string("c"), caption: "x")
        let encoded = try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(record))
        #expect(encoded == ["image_id": .int(1), "caption_id": .string("c"), "caption": .string("x")])
    }
}
