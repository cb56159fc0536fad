import Foundation
import Testing
import Data

@Suite struct CSVTests {
    @Test func writerQuotesAndRoundTrips() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.csv")
        let header = ["method", "BLEU_4", "note"]
        let rows = [["plain", "0.25", ""], ["with, comma", "1", "say \"hi\""], ["two\nlines", "-0.5", "cr\r"], ["ünï", "2", " spaced "]]
        try CSVWriter.write(header: header, rows: rows, to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        let expected = [
            #"method,BLEU_4,note"#,
            #"plain,0.25,"#,
            #""with, comma",1,"say ""hi""""#,
            #""two"#,
            "lines\",-0.5,\"cr\r\"",
            #"ünï,2, spaced "#,
            "",
        ].joined(separator: "\n")
        #expect(text == expected)
        let table = try CSVReader.read(url)
        #expect(table.header == header)
        #expect(table.rows == rows)
        #expect(table.lines == [2, 3, 4, 6])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["metrics.csv"])
    }

    @Test func writerRejectsRaggedRows() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.csv")
        expectDiagnostic(naming: url.path + ":3", containing: ["row 1"]) {
            try CSVWriter.write(header: ["a", "b"], rows: [["1", "2"], ["3"]], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
