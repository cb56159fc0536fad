import Data
import Foundation

/// SPICE through the official `spice-1.0.jar`, run as pycocoevalcap's spice/spice.py runs it:
/// `java -jar -Xmx8G spice-1.0.jar IN.json [-cache DIR] -out OUT.json -subset -silent` in the jar's folder,
/// where IN.json lists `{"image_id", "test", "refs"}` per image. The score of an image is its "All" F-score;
/// the corpus score is their mean (NaN when SPICE reports NaN for any image, as numpy's mean would be).
/// The jar needs Stanford CoreNLP 3.6.0 and its models in `lib/` beside it (pycocoevalcap's
/// get_stanford_models.py downloads them).
public struct SpiceScorer: Sendable {
    public var jar: URL
    public var java: URL
    /// SPICE's parse cache (`-cache`); nil runs without one.
    public var cacheDirectory: URL?

    public init(jar: URL, java: URL, cacheDirectory: URL? = nil) {
        self.jar = jar
        self.java = java
        self.cacheDirectory = cacheDirectory
    }

    public struct Scores: Sendable, Equatable {
        public var corpus: Double
        public var perImage: [Double]
    }

    /// Scores tokenized captions; `imageIds[i]` names sample i in SPICE's input and output.
    public func score(_ samples: [CaptionSample], imageIds: [ItemID]) throws -> Scores {
        guard imageIds.count == samples.count else {
            throw MetricsError.invalidInput("SPICE: \(imageIds.count) image ids for \(samples.count) samples")
        }
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("clipcap-spice-\(UUID().uuidString)")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        let input = work.appendingPathComponent("input.json"), output = work.appendingPathComponent("output.json")
        let rows: [JSONValue] = zip(imageIds, samples).map { id, sample in
            .object(["image_id": id.json, "test": .string(sample.candidate), "refs": .array(sample.references.map { .string($0) })])
        }
        try Data(JSONValue.array(rows).description.utf8).write(to: input)

        var arguments = ["-jar", "-Xmx8G", jar.lastPathComponent, input.path]
        if let cacheDirectory { arguments += ["-cache", cacheDirectory.path] }
        arguments += ["-out", output.path, "-subset", "-silent"]
        let process = Process()
        process.executableURL = java
        process.arguments = arguments
        process.currentDirectoryURL = jar.deletingLastPathComponent()
        let log = work.appendingPathComponent("stderr.log")
        guard fm.createFile(atPath: log.path, contents: nil) else {
            throw MetricsError.javaFailed(jar: jar.path, reason: "cannot create a log file in \(work.path)")
        }
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        do { try process.run() } catch {
            throw MetricsError.javaFailed(jar: jar.path, reason: "cannot start \(java.path): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        try? logHandle.close()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let last = text.split(whereSeparator: \.isNewline).last.map { ": " + $0 } ?? ""
            throw MetricsError.javaFailed(jar: jar.path, reason: "SPICE exited with status \(process.terminationStatus)\(last)")
        }
        return try Self.parse(output, imageIds: imageIds, jar: jar.path)
    }

    /// Reads SPICE's output: `[{"image_id": ..., "scores": {"All": {"f": ...}, ...}}, ...]`.
    static func parse(_ url: URL, imageIds: [ItemID], jar: String) throws -> Scores {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw MetricsError.javaFailed(jar: jar, reason: "SPICE wrote no output file")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch {
            throw MetricsError.javaFailed(jar: jar, reason: "SPICE output is not JSON: \(error)")
        }
        guard case .array(let items) = value else {
            throw MetricsError.javaFailed(jar: jar, reason: "SPICE output is not a JSON array")
        }
        var byImage: [ItemID: Double] = [:]
        for item in items {
            guard let idValue = item["image_id"], let id = ItemID(json: idValue) else {
                throw MetricsError.javaFailed(jar: jar, reason: "SPICE output entry without image_id")
            }
            // float_convert in spice.py: anything that is not a number (null, "NaN") becomes NaN.
            byImage[id] = item["scores"]?["All"]?["f"]?.doubleValue ?? .nan
        }
        var perImage: [Double] = []
        for id in imageIds {
            guard let f = byImage[id] else {
                throw MetricsError.javaFailed(jar: jar, reason: "SPICE output has no score for image_id \(id)")
            }
            perImage.append(f)
        }
        let corpus = perImage.isEmpty ? .nan : perImage.reduce(0, +) / Double(perImage.count)
        return Scores(corpus: corpus, perImage: perImage)
    }
}
