import Foundation
import Testing
import TestSupport

/// The hand-written dataset fixtures (Tests/Fixtures/data).
let dataFixtures = fixturesDirectory.appendingPathComponent("data")

/// A fresh, empty folder under the system temporary folder; the caller removes it.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("DataTests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` as UTF-8 to `name` inside `dir` and returns its URL.
@discardableResult
func writeFile(_ text: String, _ name: String, in dir: URL) throws -> URL {
    let url = dir.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: false, encoding: .utf8)
    return url
}

/// Runs `body`, expects it to throw, and checks the error's description: one line, naming `file`,
/// and containing each of `fragments`. Returns the description.
@discardableResult
func expectDiagnostic(naming file: String, containing fragments: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String {
    do {
        try body()
        Issue.record("expected an error naming \(file)", sourceLocation: sourceLocation)
        return ""
    } catch {
        let text = "\(error)"
        #expect(!text.contains("\n"), "not one line: \(text)", sourceLocation: sourceLocation)
        #expect(text.contains(file), "does not name \(file): \(text)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(text.contains(fragment), "does not contain '\(fragment)': \(text)", sourceLocation: sourceLocation)
        }
        return text
    }
}
