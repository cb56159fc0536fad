import Foundation
import Metrics
import Testing
import TestSupport

/// Parity with pycocoevalcap 1.2 on the fixture corpus (Tests/Fixtures/gen_metrics.py): tokenization for
/// every sentence, BLEU-1..4, ROUGE-L and CIDEr-D within 1e-4 absolute (corpus and per image), METEOR
/// within 1e-3 when Java and the jar are present.
@Suite struct ParityTests {
    let fixture: MetricsFixture

    init() throws { fixture = try MetricsFixture.load() }

    @Test func corpusIsLargeEnough() {
        #expect(fixture.images.count >= 200)
        #expect(fixture.images.allSatisfy { $0.references.count == 5 })
    }

    /// Every sentence's PTB tokens equal the jar's output line, read as pycocoevalcap reads them: the
    /// references as one stream and the candidates as another.
    @Test func ptbTokensEqualTheJarForEverySentence() throws {
        let tokenizer = try PTBTokenizer.shared()
        let refLines = tokenizer.tokenLines(fixture.images.flatMap(\.references)).map { $0.joined(separator: " ") }
        #expect(refLines == fixture.images.flatMap(\.ptbReferences))
        let candLines = tokenizer.tokenLines(fixture.images.map(\.candidate)).map { $0.joined(separator: " ") }
        #expect(candLines == fixture.images.map(\.ptbCandidate))
        for (ours, jar) in zip(refLines + candLines, fixture.images.flatMap(\.ptbReferences) + fixture.images.map(\.ptbCandidate))
        where ours != jar {
            Issue.record("PTB mismatch: ours '\(ours)' jar '\(jar)'")
        }
    }

    /// After punctuation removal, the strings pycocoevalcap's scorers receive.
    @Test func tokenizedCaptionsEqualPycocoevalcap() throws {
        let tokenizer = try PTBTokenizer.shared()
        #expect(tokenizer.tokenizeCaptions(fixture.images.flatMap(\.references)) == fixture.images.flatMap(\.tokenizedReferences))
        #expect(tokenizer.tokenizeCaptions(fixture.images.map(\.candidate)) == fixture.images.map(\.tokenizedCandidate))
    }

    @Test func bleuMatchesPycocoevalcap() {
        let bleu = Bleu.score(fixture.pycocoevalcapSamples)
        for k in 0..<4 {
            let name = "BLEU_\(k + 1)"
            expectClose([bleu.corpus[k]], [fixture.corpus[name]!], atol: 1e-4, name)
            expectClose(bleu.perImage[k], fixture.perImage[name]!, atol: 1e-4, "\(name) per image")
        }
    }

    @Test func rougeLMatchesPycocoevalcap() {
        let rouge = RougeL.score(fixture.pycocoevalcapSamples)
        expectClose([rouge.corpus], [fixture.corpus["ROUGE_L"]!], atol: 1e-4, "ROUGE_L")
        expectClose(rouge.perImage, fixture.perImage["ROUGE_L"]!, atol: 1e-4, "ROUGE_L per image")
    }

    @Test func ciderDMatchesPycocoevalcap() {
        let cider = CiderD.score(fixture.pycocoevalcapSamples)
        expectClose([cider.corpus], [fixture.corpus["CIDEr"]!], atol: 1e-4, "CIDEr")
        expectClose(cider.perImage, fixture.perImage["CIDEr"]!, atol: 1e-4, "CIDEr per image")
    }

    /// Raw captions in, pycocoevalcap's numbers out: tokenization and all Swift metrics together.
    @Test func evaluatorMatchesPycocoevalcapFromRawCaptions() throws {
        let notices = NoticeLog()
        let evaluator = CaptionEvaluator(metrics: [.bleu, .rougeL, .cider], notice: notices.append)
        let scores = try evaluator.evaluate(fixture.rawImages)
        #expect(scores.columns == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "ROUGE_L", "CIDEr"])
        for column in scores.columns {
            let corpusDiff = expectClose([scores.corpus[column]!], [fixture.corpus[column]!], atol: 1e-4, column)
            let imageDiff = expectClose(scores.perImage[column]!, fixture.perImage[column]!, atol: 1e-4, "\(column) per image")
            print("parity \(column): corpus |Δ| \(corpusDiff), per-image max |Δ| \(imageDiff)")
        }
        #expect(notices.lines.isEmpty)
    }

    @Test(.enabled(if: MetricsFixture.meteorTools != nil,
                   "METEOR parity needs java on PATH and meteor-1.5.jar (pip install pycocoevalcap, or set CLIPCAP_METEOR_JAR)"))
    func meteorMatchesPycocoevalcap() throws {
        let tools = try #require(MetricsFixture.meteorTools)
        let meteor = try MeteorScorer(jar: tools.jar, java: tools.java).score(fixture.pycocoevalcapSamples)
        let corpusDiff = expectClose([meteor.corpus], [fixture.corpus["METEOR"]!], atol: 1e-3, "METEOR")
        let imageDiff = expectClose(meteor.perImage, fixture.perImage["METEOR"]!, atol: 1e-3, "METEOR per image")
        print("parity METEOR: corpus |Δ| \(corpusDiff), per-image max |Δ| \(imageDiff)")
    }
}

/// Collects notices from the evaluator (thread-safe, since the callback is @Sendable).
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }

    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
}
