import Foundation

/// METEOR 1.5 through the official jar, driven as pycocoevalcap's meteor/meteor.py drives it.
///
/// The jar runs as `java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm` in the jar's folder (where
/// its `data/` paraphrase tables are). For each image we send `SCORE ||| ref1 ||| ... ||| hyp` and read
/// back a line of statistics; then one `EVAL ||| stats1 ||| stats2 ...` line returns a score per image
/// and, last, the corpus score (METEOR's own aggregate over all statistics, not the mean of per-image
/// scores). The hypothesis loses any `|||` and has double spaces collapsed once, as meteor.py does.
public struct MeteorScorer: Sendable {
    public var jar: URL
    public var java: URL

    public init(jar: URL, java: URL) {
        self.jar = jar
        self.java = java
    }

    public struct Scores: Sendable, Equatable {
        public var corpus: Double
        public var perImage: [Double]
    }

    /// Scores tokenized captions (as `PTBTokenizer.tokenizeCaptions` makes them). Starting the JVM and
    /// loading the paraphrase table takes several seconds.
    public func score(_ samples: [CaptionSample]) throws -> Scores {
        let process = try LineProcess(executable: java,
                                      arguments: ["-jar", "-Xmx2G", jar.lastPathComponent, "-", "-", "-stdio", "-l", "en", "-norm"],
                                      workingDirectory: jar.deletingLastPathComponent(), label: jar.path)
        defer { process.close() }
        var evalLine = "EVAL"
        for sample in samples {
            let hypothesis = sample.candidate.replacingAll("|||", with: "").replacingAll("  ", with: " ")
            try process.writeLine((["SCORE"] + sample.references + [hypothesis]).joined(separator: " ||| "))
            let stats = try process.readLine().trimmingCharacters(in: .whitespacesAndNewlines)
            evalLine += " ||| " + stats
        }
        try process.writeLine(evalLine)
        var perImage: [Double] = []
        perImage.reserveCapacity(samples.count)
        for _ in samples { perImage.append(try number(process.readLine(), process)) }
        let corpus = try number(process.readLine(), process)
        return Scores(corpus: corpus, perImage: perImage)
    }

    private func number(_ line: String, _ process: LineProcess) throws -> Double {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(text) else {
            throw MetricsError.javaFailed(jar: jar.path, reason: "expected a score from METEOR, got '\(text.prefix(80))'")
        }
        return value
    }
}
