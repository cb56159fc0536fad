import Data
import Foundation
import Metrics
import Testing

/// The METEOR and SPICE drivers against stand-in `java` scripts that speak the jars' protocols, so the
/// protocol, parsing and error paths are tested without Java (the real METEOR is in ParityTests).
@Suite struct JavaScorerTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("java-stub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Writes an executable shell script and returns it.
    func script(_ name: String, _ body: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Foundation.Data(("#!/bin/sh\n" + body).utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    func jar(_ name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Foundation.Data().write(to: url)
        return url
    }

    let samples = [
        CaptionSample(candidate: "a  dog ||| runs", references: ["a dog runs", "the dog is running"]),
        CaptionSample(candidate: "a cat", references: ["a cat sits"]),
    ]

    @Test func meteorSpeaksPycocoevalcapsProtocol() throws {
        let log = folder.appendingPathComponent("meteor.log")
        // Answers each SCORE with statistics, then EVAL with one score per image and the corpus score.
        let java = try script("java", """
            echo "ARGS $*" >> '\(log.path)'
            n=0
            while IFS= read -r line; do
              echo "$line" >> '\(log.path)'
              case "$line" in
                SCORE*) n=$((n+1)); echo "$n 2 3" ;;
                EVAL*) i=0; while [ $i -lt $n ]; do i=$((i+1)); echo "0.$i"; done; echo "0.25" ;;
              esac
            done
            """)
        let scores = try MeteorScorer(jar: try jar("meteor-1.5.jar"), java: java).score(samples)
        #expect(scores.perImage == [0.1, 0.2])
        #expect(scores.corpus == 0.25)
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == [
            "ARGS -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm",
            "SCORE ||| a dog runs ||| the dog is running ||| a dog runs",
            "SCORE ||| a cat sits ||| a cat",
            "EVAL ||| 1 2 3 ||| 2 2 3",
        ])
    }

    @Test func meteorThatDiesIsAOneLineErrorNamingTheJar() throws {
        let java = try script("java", "echo 'Error: Could not create the Java Virtual Machine.' >&2\nexit 1\n")
        let meteor = try jar("meteor-1.5.jar")
        do {
            _ = try MeteorScorer(jar: meteor, java: java).score(samples)
            Issue.record("expected an error")
        } catch {
            let text = String(describing: error)
            #expect(text.hasPrefix(meteor.path))
            #expect(text.contains("Could not create the Java Virtual Machine"))
            #expect(!text.contains("\n"))
        }
    }

    @Test func meteorGarbageIsAnError() throws {
        let java = try script("java", "while IFS= read -r line; do echo 'not a number'; done\n")
        #expect(throws: MetricsError.self) { try MeteorScorer(jar: try jar("meteor-1.5.jar"), java: java).score(samples) }
    }

    /// SPICE's stand-in reads the input JSON's image ids and writes scores: 0.5 for "a", NaN for others.
    @Test func spiceReadsScoresPerImageAndAveragesThem() throws {
        let args = folder.appendingPathComponent("spice.args")
        let java = try script("java", """
            echo "$*" > '\(args.path)'
            while [ $# -gt 0 ]; do if [ "$1" = "-out" ]; then out="$2"; fi; shift; done
            printf '[{"image_id": "b", "scores": {"All": {"f": 0.25, "pr": 1, "re": 1}}}, {"image_id": 7, "scores": {"All": {"f": 0.75}}}]' > "$out"
            """)
        let spice = SpiceScorer(jar: try jar("spice-1.0.jar"), java: java)
        let scores = try spice.score(samples, imageIds: [.int(7), .string("b")])
        #expect(scores.perImage == [0.75, 0.25])
        #expect(scores.corpus == 0.5)
        let argv = try String(contentsOf: args, encoding: .utf8)
        #expect(argv.hasPrefix("-jar -Xmx8G spice-1.0.jar "))
        #expect(argv.contains(" -subset -silent"))
    }

    @Test func spiceNaNPropagatesLikeNumpy() throws {
        let java = try script("java", """
            while [ $# -gt 0 ]; do if [ "$1" = "-out" ]; then out="$2"; fi; shift; done
            printf '[{"image_id": 1, "scores": {"All": {"f": "NaN"}}}, {"image_id": 2, "scores": {"All": {"f": 0.5}}}]' > "$out"
            """)
        let scores = try SpiceScorer(jar: try jar("spice-1.0.jar"), java: java).score(samples, imageIds: [.int(1), .int(2)])
        #expect(scores.perImage[0].isNaN && scores.perImage[1] == 0.5)
        #expect(scores.corpus.isNaN)
    }

    @Test func spiceFailureNamesTheJarAndSaysWhy() throws {
        let java = try script("java", "echo 'Exception: lib/stanford-corenlp-3.6.0.jar not found' >&2\nexit 3\n")
        let spiceJar = try jar("spice-1.0.jar")
        #expect(throws: MetricsError.javaFailed(jar: spiceJar.path,
                                                reason: "SPICE exited with status 3: Exception: lib/stanford-corenlp-3.6.0.jar not found")) {
            try SpiceScorer(jar: spiceJar, java: java).score(samples, imageIds: [.int(1), .int(2)])
        }
    }

    @Test func spiceThroughTheEvaluatorAddsItsColumn() throws {
        let java = try script("java", """
            while [ $# -gt 0 ]; do if [ "$1" = "-out" ]; then out="$2"; fi; shift; done
            printf '[{"image_id": 1, "scores": {"All": {"f": 0.5}}}]' > "$out"
            """)
        let evaluator = CaptionEvaluator(metrics: [.bleu, .spice], spiceJar: try jar("spice-1.0.jar"), java: java)
        let scores = try evaluator.evaluate([ImageCaptions(imageId: .int(1), candidate: "A dog.", references: ["A dog runs."])])
        #expect(scores.columns == ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "SPICE"])
        #expect(scores.corpus["SPICE"] == 0.5)
    }

    // MARK: - Finding the jars

    @Test func meteorJarFromConfigurationEnvironmentOrSitePackages() throws {
        let configured = try jar("configured.jar")
        #expect(JavaTools.meteorJar(configured: configured, environment: [:]) == configured)
        #expect(JavaTools.meteorJar(configured: folder.appendingPathComponent("missing.jar"), environment: [:]) == nil)

        let fromEnvironment = try jar("env.jar")
        #expect(JavaTools.meteorJar(environment: ["CLIPCAP_METEOR_JAR": fromEnvironment.path, "PATH": ""]) == fromEnvironment)

        let meteorFolder = folder.appendingPathComponent("venv/lib/python3.11/site-packages/pycocoevalcap/meteor")
        try FileManager.default.createDirectory(at: meteorFolder, withIntermediateDirectories: true)
        let installed = meteorFolder.appendingPathComponent("meteor-1.5.jar")
        try Foundation.Data().write(to: installed)
        #expect(JavaTools.meteorJar(environment: ["VIRTUAL_ENV": folder.appendingPathComponent("venv").path, "PATH": ""])?.path == installed.path)
    }

    @Test func javaFromJavaHome() throws {
        let home = folder.appendingPathComponent("jdk")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("bin"), withIntermediateDirectories: true)
        _ = try script("jdk/bin/java", "exit 0\n")
        #expect(JavaTools.java(environment: ["JAVA_HOME": home.path, "PATH": ""])?.path == home.appendingPathComponent("bin/java").path)
        #expect(JavaTools.java(environment: ["PATH": ""]) == nil)
    }
}
