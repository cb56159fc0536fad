import Data
import Foundation
import Metrics
import Testing
import TestSupport

/// The evaluate pipeline on files: results + references in, metrics.csv and per-image CSV out, and its
/// one-line errors.
@Suite struct EvaluationTests {
    let fixture: MetricsFixture
    let folder: URL

    init() throws {
        fixture = try MetricsFixture.load()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// The fixture as a COCO results file and a COCO captions annotation file.
    func writeCOCOFiles(results: [[String: Any]]? = nil) throws -> (results: URL, references: URL) {
        let resultsURL = folder.appendingPathComponent("results.json")
        let referencesURL = folder.appendingPathComponent("captions.json")
        let rows = results ?? fixture.images.map { ["image_id": $0.imageId, "caption": $0.candidate] as [String: Any] }
        try JSONSerialization.data(withJSONObject: rows).write(to: resultsURL)
        var annotations: [[String: Any]] = []
        for image in fixture.images {
            for caption in image.references {
                annotations.append(["image_id": image.imageId, "id": annotations.count + 1, "caption": caption])
            }
        }
        let images = fixture.images.map { ["id": $0.imageId, "file_name": "\($0.imageId).jpg"] as [String: Any] }
        try JSONSerialization.data(withJSONObject: ["images": images, "annotations": annotations]).write(to: referencesURL)
        return (resultsURL, referencesURL)
    }

    /// An evaluator that cannot find Java: no PATH, no JAVA_HOME, no jars.
    func evaluatorWithoutJava(_ metrics: [CaptionMetric], notices: NoticeLog) -> CaptionEvaluator {
        CaptionEvaluator(metrics: metrics, environment: ["PATH": ""], notice: notices.append)
    }

    @Test func filesInCSVOutWithPycocoevalcapColumns() throws {
        let files = try writeCOCOFiles()
        // the fixture has an empty candidate, scored as pycocoevalcap scores it
        let images = try EvaluationInputs.load(results: files.results, references: files.references, allowEmptyCaptions: true)
        #expect(images.count == fixture.images.count)
        let notices = NoticeLog()
        let scores = try evaluatorWithoutJava(CaptionMetric.allCases, notices: notices).evaluate(images)
        #expect(scores.columns == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "ROUGE_L", "CIDEr"])

        let out = folder.appendingPathComponent("metrics.csv")
        try scores.writeCSV(to: out)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(lines[0] == "BLEU_1,BLEU_2,BLEU_3,BLEU_4,ROUGE_L,CIDEr")
        let values = lines[1].split(separator: ",").map { Double($0)! }
        expectClose(values, ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "ROUGE_L", "CIDEr"].map { fixture.corpus[$0]! },
                    atol: 1e-4, "metrics.csv")

        let perImage = folder.appendingPathComponent("per_image.csv")
        try scores.writePerImageCSV(to: perImage)
        let rows = try String(contentsOf: perImage, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == fixture.images.count + 1)
        #expect(rows[0] == "image_id,BLEU_1,BLEU_2,BLEU_3,BLEU_4,ROUGE_L,CIDEr")
        #expect(rows[1].hasPrefix("\(fixture.images[0].imageId),"))
    }

    /// METEOR (and SPICE) that cannot run leave their columns out, with a notice: never a 0.
    @Test func missingJavaLeavesMeteorOutNotZero() throws {
        let notices = NoticeLog()
        let scores = try evaluatorWithoutJava([.bleu, .meteor, .spice], notices: notices).evaluate(fixture.rawImages)
        #expect(!scores.columns.contains("METEOR") && !scores.columns.contains("SPICE"))
        #expect(scores.corpus["METEOR"] == nil && scores.perImage["METEOR"] == nil)
        #expect(!scores.corpusTable.header.contains("METEOR"))
        #expect(notices.lines.contains { $0.hasPrefix("METEOR skipped:") })
        #expect(notices.lines.contains { $0.hasPrefix("SPICE skipped:") })
        #expect(notices.lines.allSatisfy { !$0.contains("\n") })
    }

    @Test func meteorJarThatDoesNotExistIsNamedInTheNotice() throws {
        let notices = NoticeLog()
        let evaluator = CaptionEvaluator(metrics: [.meteor], meteorJar: URL(fileURLWithPath: "/nonexistent/meteor-1.5.jar"),
                                         environment: ["PATH": ""], notice: notices.append)
        let scores = try evaluator.evaluate(Array(fixture.rawImages.prefix(3)))
        #expect(scores.columns.isEmpty)
        #expect(notices.lines == ["METEOR skipped: /nonexistent/meteor-1.5.jar does not exist"])
    }

    /// A METEOR jar that fails mid-run: the error carries BLEU, ROUGE-L and CIDEr, already computed, so the
    /// evaluate command can still write them per image.
    @Test func failingJarKeepsTheFinishedScores() throws {
        let java = folder.appendingPathComponent("java")
        try "#!/bin/sh\necho 'Exception in thread main' >&2\nexit 3\n".write(to: java, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: java.path)
        let jar = folder.appendingPathComponent("meteor-1.5.jar")
        try Foundation.Data().write(to: jar)
        let evaluator = CaptionEvaluator(metrics: [.bleu, .meteor, .rougeL, .cider], meteorJar: jar, java: java, environment: [:])
        let images = Array(fixture.rawImages.prefix(5))
        do {
            _ = try evaluator.evaluate(images)
            Issue.record("a failing METEOR jar must throw")
        } catch let partial as PartialScoresError {
            #expect(partial.scores.columns == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "ROUGE_L", "CIDEr"])
            let complete = try CaptionEvaluator(metrics: [.bleu, .rougeL, .cider]).evaluate(images)
            #expect(partial.scores.perImage == complete.perImage)
            #expect(partial.underlying is MetricsError)
            #expect(!partial.description.contains("\n"))
        }
    }

    @Test func onlyTheRequestedMetrics() throws {
        let scores = try CaptionEvaluator(metrics: [.cider]).evaluate(fixture.rawImages)
        #expect(scores.columns == ["CIDEr"])
        #expect(scores.corpusTable.header == ["CIDEr"])
    }

    @Test func karpathyReferencesWithASplit() throws {
        let url = folder.appendingPathComponent("dataset_coco.json")
        let images = fixture.images.enumerated().map { k, image in
            ["cocoid": image.imageId, "imgid": k, "split": k < 100 ? "test" : "train", "filename": "\(k).jpg",
             "sentences": image.references.enumerated().map { j, raw in ["raw": raw, "sentid": k * 5 + j, "tokens": []] }] as [String: Any]
        }
        try JSONSerialization.data(withJSONObject: ["images": images]).write(to: url)
        let references = try EvaluationInputs.readReferences(url, splits: ["test"])
        #expect(references.captions.count == 100)
        #expect(references.captions[.int(fixture.images[0].imageId)] == fixture.images[0].references)
        #expect(references.imageOrder == fixture.images.prefix(100).map { .int($0.imageId) })
    }

    // MARK: - Errors: one line, naming the file

    func expectOneLineError(naming file: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error naming \(file)", sourceLocation: sourceLocation)
        } catch {
            let text = String(describing: error)
            #expect(text.contains(file), "error '\(text)' does not name \(file)", sourceLocation: sourceLocation)
            #expect(!text.contains("\n"), "error '\(text)' is not one line", sourceLocation: sourceLocation)
        }
    }

    @Test func missingResultsFile() throws {
        let files = try writeCOCOFiles()
        let missing = folder.appendingPathComponent("nope.json")
        expectOneLineError(naming: missing.path) { _ = try EvaluationInputs.load(results: missing, references: files.references) }
        #expect(throws: MetricsError.missingFile(missing.path)) { try EvaluationInputs.readResults(missing) }
    }

    @Test func missingReferencesFile() throws {
        let files = try writeCOCOFiles()
        let missing = folder.appendingPathComponent("refs.json")
        expectOneLineError(naming: missing.path) {
            _ = try EvaluationInputs.load(results: files.results, references: missing, allowEmptyCaptions: true)
        }
    }

    @Test func resultImageWithoutReferences() throws {
        let files = try writeCOCOFiles(results: [["image_id": fixture.images[0].imageId, "caption": "a dog"],
                                                 ["image_id": 42, "caption": "a cat"]])
        expectOneLineError(naming: files.results.path) { _ = try EvaluationInputs.load(results: files.results, references: files.references) }
        #expect(throws: MetricsError.noReferences(resultsFile: files.results.path, imageId: "42", referencesFile: files.references.path)) {
            _ = try EvaluationInputs.load(results: files.results, references: files.references)
        }
    }

    @Test func emptyCaptionInResults() throws {
        let first = fixture.images[0]
        let (results, references) = try writeCOCOFiles(results: [["image_id": first.imageId, "caption": "  "]])
        #expect(throws: MetricsError.malformed(file: results.path, reason: "entry 0 (image_id \(first.imageId)) has an empty caption (pass --allow-empty to score it as pycocoevalcap does)")) {
            _ = try EvaluationInputs.load(results: results, references: references)
        }
    }

    @Test func duplicateImageInResults() throws {
        let id = fixture.images[0].imageId
        let files = try writeCOCOFiles(results: [["image_id": id, "caption": "a dog"], ["image_id": id, "caption": "a cat"]])
        #expect(throws: MetricsError.duplicateImage(file: files.results.path, imageId: "\(id)")) {
            _ = try EvaluationInputs.load(results: files.results, references: files.references)
        }
    }

    @Test(arguments: [
        "[{\"image_id\": 1, \"caption\": \"a dog\"",            // truncated JSON
        "{\"image_id\": 1, \"caption\": \"a dog\"}",            // not an array
        "[{\"image_id\": 1}]",                                  // no caption
        "[{\"caption\": \"a dog\"}]",                           // no image_id
        "[{\"image_id\": [1], \"caption\": \"a dog\"}]",        // image_id of the wrong type
        "[{\"image_id\": 1, \"caption\": 5}]",                  // caption of the wrong type
        "[]",                                                   // nothing to evaluate
        "",                                                     // empty file
    ])
    func malformedResults(text: String) throws {
        let url = folder.appendingPathComponent("bad.json")
        try Foundation.Data(text.utf8).write(to: url)
        expectOneLineError(naming: url.path) { _ = try EvaluationInputs.readResults(url) }
    }

    @Test func malformedReferences() throws {
        let files = try writeCOCOFiles()
        let bad = folder.appendingPathComponent("captions_bad.json")
        try Foundation.Data("{\"annotations\": [".utf8).write(to: bad)
        expectOneLineError(naming: bad.path) {
            _ = try EvaluationInputs.load(results: files.results, references: bad, allowEmptyCaptions: true)
        }
    }

    /// pycocoevalcap visits images in the references' `images` order, whatever the results' order.
    @Test func imagesComeInTheReferencesOrder() throws {
        let chosen = [fixture.images[5], fixture.images[1], fixture.images[3]]
        let files = try writeCOCOFiles(results: chosen.map { ["image_id": $0.imageId, "caption": $0.candidate] })
        let images = try EvaluationInputs.load(results: files.results, references: files.references)
        #expect(images.map(\.imageId) == [1, 3, 5].map { .int(fixture.images[$0].imageId) })
        #expect(images[0].references == fixture.images[1].references)
    }

    @Test func resultsMayUseStringIdsAndExtraKeys() throws {
        let url = folder.appendingPathComponent("results.json")
        try Foundation.Data(#"[{"image_id": "a.jpg", "caption": "x", "score": 0.5}, {"image_id": 7, "caption": "y", "id": 1}]"#.utf8).write(to: url)
        #expect(try EvaluationInputs.readResults(url) == [.init(imageId: .string("a.jpg"), caption: "x"), .init(imageId: .int(7), caption: "y")])
    }

    @Test func evaluatorRejectsInputsThatDoNotFitTogether() {
        let evaluator = CaptionEvaluator(metrics: [.bleu])
        #expect(throws: MetricsError.self) { try evaluator.evaluate([]) }
        #expect(throws: MetricsError.self) {
            try evaluator.evaluate([ImageCaptions(imageId: .int(1), candidate: "a", references: [])])
        }
        #expect(throws: MetricsError.self) {
            try evaluator.evaluate([ImageCaptions(imageId: .int(1), candidate: "a", references: ["a"]),
                                    ImageCaptions(imageId: .int(1), candidate: "b", references: ["b"])])
        }
    }

    @Test func metricNames() {
        #expect(CaptionMetric(name: "bleu") == .bleu)
        #expect(CaptionMetric(name: "ROUGE-L") == .rougeL)
        #expect(CaptionMetric(name: "cider") == .cider)
        #expect(CaptionMetric(name: "BLEU_4") == nil)
        #expect(CaptionMetric.columnOrder == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr", "SPICE"])
    }
}
