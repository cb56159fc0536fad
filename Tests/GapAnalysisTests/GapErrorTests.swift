import Data
import Foundation
import GapAnalysis
import Tensor
import Testing
import TestSupport

/// What the CLI turns into one-line errors (exit 1): each names the file at fault.
@Suite struct GapErrorTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gap-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func store(_ name: String, rows: Int, dimension: Int, fill: (Int) -> Float = { Float($0 % 7) - 3 }) throws -> URL {
        let url = folder.appendingPathComponent("\(name).safetensors")
        let t = Tensor(shape: [rows, dimension], values: (0..<(rows * dimension)).map(fill))
        let records = (0..<rows).map { ImageRecord(imageId: .int($0), path: "img\($0).jpg") }
        try EmbeddingStore.write(embeddings: t, rows: records, to: url)
        return url
    }

    @Test func mismatchedDimensionsNameBothFiles() throws {
        let a = try store("img", rows: 4, dimension: 8), b = try store("txt", rows: 5, dimension: 6)
        #expect {
            _ = try ModalityGap.load(image: a, text: b)
        } throws: { error in
            let text = "\(error)"
            return error as? GapError == .dimensionMismatch(image: a.path, imageDimension: 8, text: b.path, textDimension: 6)
                && text.hasPrefix(a.path) && text.contains(b.path) && !text.contains("\n")
        }
    }

    @Test func zeroAndNonFiniteRowsNameTheFileAndRow() throws {
        let good = try store("good", rows: 3, dimension: 4)
        let zero = try store("zero", rows: 3, dimension: 4) { $0 / 4 == 1 ? 0 : 1 }
        let nan = try store("nan", rows: 3, dimension: 4) { $0 == 9 ? .nan : 1 }
        #expect(throws: GapError.zeroRow(file: zero.path, row: 1)) { _ = try ModalityGap.load(image: good, text: zero) }
        #expect(throws: GapError.nonFinite(file: nan.path, row: 2)) { _ = try ModalityGap.load(image: nan, text: good) }
        #expect("\(GapError.zeroRow(file: zero.path, row: 1))".hasPrefix(zero.path))
    }

    @Test func missingStoreIsTheDataError() throws {
        let good = try store("good", rows: 3, dimension: 4)
        let missing = folder.appendingPathComponent("absent.safetensors")
        #expect(throws: DataError.missingFile(missing.path)) { _ = try ModalityGap.load(image: good, text: missing) }
    }

    @Test func invalidParameters() throws {
        let c = try GapFixture.shared.load("equal")
        #expect(throws: GapError.self) { _ = try c.gap.align(.memory, options: .init(temperature: 0)) }
        #expect(throws: GapError.self) { _ = try c.gap.align(.sinkhorn, options: .init(epsilon: -1)) }
        #expect(throws: GapError.self) { _ = try LinearProbe(ridge: 0).evaluate(image: c.gap.image, text: c.gap.text) }
        let one = Tensor(shape: [1, 16], values: [Float](repeating: 1, count: 16))
        #expect(throws: GapError.tooFewRows(file: "image cloud", rows: 1, needed: 2, purpose: "rotation")) {
            _ = try RotationAlignment.apply(image: one, text: c.gap.text)
        }
        #expect(throws: GapError.self) { _ = try ModalityGap(image: c.gap.image, text: c.gap.text, pairs: MatchedPairs(textRows: [[0]])) }
        // raw clouds with a zero row have no cosine
        let zero = Tensor(shape: [2, 2], values: [1, 0, 0, 0])
        #expect(throws: GapError.zeroRow(file: "text cloud", row: 1)) {
            _ = try ExactTransport.solve(source: zero.rows(0, 1), target: zero, cost: .cosine)
        }
        #expect(throws: GapError.zeroRow(file: "image cloud", row: 1)) {
            _ = try EntropicTransport.solve(source: zero, target: zero.rows(0, 1), cost: .cosine)
        }
    }

    @Test func everyDescriptionIsOneLine() {
        let errors: [GapError] = [
            .dimensionMismatch(image: "a", imageDimension: 1, text: "b", textDimension: 2),
            .tooFewRows(file: "a", rows: 0, needed: 1, purpose: "x"), .zeroRow(file: "a\nb", row: 0),
            .nonFinite(file: "a", row: 0), .invalidParameter(name: "x", value: "1", reason: "r"),
            .noMatchedPairs(image: "a", text: "b"), .lapack(routine: "dgesdd", info: 3), .solver(reason: "r"),
            .sinkhornDiverged(epsilon: 1e-9, iteration: 3),
        ]
        for e in errors { #expect(!e.description.contains("\n") && !e.description.isEmpty) }
    }

    @Test func alignedStoreKeepsTheImageRowsAndTheReportIsWritten() throws {
        let imageURL = try store("img", rows: 6, dimension: 5) { Float(($0 * 37) % 11) - 5 }
        let textURL = try store("txt", rows: 9, dimension: 5) { Float(($0 * 53) % 13) - 6 }
        let gap = try ModalityGap.load(image: imageURL, text: textURL)
        #expect(gap.pairs.matchedImageCount == 6)   // ids 0..5 appear in both
        let a = try gap.align(.ot, options: .init(cost: .sqeuclidean))
        let out = folder.appendingPathComponent("aligned.safetensors")
        try a.writeStore(to: out, rows: gap.imageRows)
        try a.writeReport(to: Alignment.reportURL(for: out))
        let back = try EmbeddingStore.read(out)
        #expect(back.rows == gap.imageRows)
        #expect(back.embeddings.scalars == a.aligned.scalars)
        let csv = try String(contentsOf: folder.appendingPathComponent("aligned.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("method,cost,iterations,seconds,renormalized"))
        #expect(lines[1].hasPrefix("ot,"))
        #expect(lines[0].contains("cost_function") && lines[1].contains("sqeuclidean"))
    }
}
