import Foundation
import Testing
import TestSupport

/// `clipcap world generate|score` end to end: outputs, exit status and one-line errors.
@Suite(.serialized) struct WorldCLITests {
    @Test func helpOnWorldCommands() throws {
        for args in [["world"], ["world", "generate"], ["world", "score"], ["world", "bpe"]] {
            let r = try CLITests.run(args + ["--help"])
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout.contains("USAGE"), "\(args)")
        }
    }

    @Test func generatesAndScoresAWorld() throws {
        let dir = try CLITests.tempDir()
        let world = dir.appendingPathComponent("world")
        let g = try CLITests.run(["world", "generate", "--out", world.path, "--images", "20", "--val", "2", "--test", "3",
                                  "--size", "32", "--seed", "9"])
        #expect(g.status == 0, "\(g.stderr)")
        #expect(g.stderr.contains("20/20 images"), "no progress on stderr: \(g.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: world.appendingPathComponent("images").path)
        #expect(names.count == 20 && names.contains("00019.png"))
        // Score the test images with their own first reference caption (all right) and with a wrong one.
        let dataset = try JSONSerialization.jsonObject(with: Data(contentsOf: world.appendingPathComponent("dataset.json"))) as? [String: Any]
        let images = (dataset?["images"] as? [[String: Any]]) ?? []
        let test = images.filter { $0["split"] as? String == "test" }
        #expect(test.count == 3)
        var results: [[String: Any]] = test.map { image in
            let first = ((image["sentences"] as? [[String: Any]])?.first?["raw"] as? String) ?? ""
            return ["image_id": image["imgid"] ?? -1, "caption": first]
        }
        let resultsURL = dir.appendingPathComponent("results.json"), csv = dir.appendingPathComponent("scores.csv")
        try JSONSerialization.data(withJSONObject: results).write(to: resultsURL)
        let attributes = world.appendingPathComponent("attributes.json").path
        let s = try CLITests.run(["world", "score", "--results", resultsURL.path, "--attributes", attributes, "--out", csv.path])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.contains("attribute_accuracy: 1.0"), "\(s.stdout)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("attribute_accuracy,shape_accuracy,colour_accuracy,") == true)
        #expect(lines.first?.hasSuffix(",images") == true && lines.last?.hasSuffix(",3") == true)
        // A caption of no shape at all: every test image is wrong.
        results = results.map { ["image_id": $0["image_id"]!, "caption": "nothing to see here"] }
        try JSONSerialization.data(withJSONObject: results).write(to: resultsURL)
        let wrong = try CLITests.run(["world", "score", "--results", resultsURL.path, "--attributes", attributes])
        #expect(wrong.status == 0 && wrong.stdout.contains("attribute_accuracy: 0.0"), "\(wrong.stdout) \(wrong.stderr)")
        // A vocabulary from the training captions.
        let vocab = dir.appendingPathComponent("vocab")
        let b = try CLITests.run(["world", "bpe", "--dataset", world.appendingPathComponent("dataset.json").path,
                                  "--out", vocab.path, "--merges", "30"])
        #expect(b.status == 0 && b.stderr.contains("learned 30 merges from 75 captions"), "\(b.stderr)")
        let mergeLines = try String(contentsOf: vocab.appendingPathComponent("merges.txt"), encoding: .utf8).split(separator: "\n")
        #expect(mergeLines.count == 31 && mergeLines.first == "#version: 0.2")
        let tokens = try JSONSerialization.jsonObject(with: Data(contentsOf: vocab.appendingPathComponent("vocab.json"))) as? [String: Int]
        #expect(tokens?.count == 287 && tokens?["<|endoftext|>"] == 286)
    }

    @Test func errorsAreOneLineWithTheRightStatus() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("w")
        // Usage errors: exit 2.
        let tooMany = try CLITests.run(["world", "generate", "--out", out.path, "--images", "5", "--val", "3", "--test", "3"])
        #expect(tooMany.status == 2 && tooMany.stderr.contains("--val"), "\(tooMany.stderr)")
        let noOut = try CLITests.run(["world", "generate", "--images", "5"])
        #expect(noOut.status == 2)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // A folder of something else: exit 1, one line, left as it was.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: out.appendingPathComponent("keep.txt"))
        let refused = try CLITests.run(["world", "generate", "--out", out.path, "--images", "4"])
        #expect(refused.status == 1 && refused.stderr.contains(out.path), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["keep.txt"])
        // Missing attributes file: exit 1 naming it.
        let results = dir.appendingPathComponent("results.json")
        try Data(#"[{"image_id": 0, "caption": "a red circle"}]"#.utf8).write(to: results)
        let missing = dir.appendingPathComponent("nope.json").path
        let r = try CLITests.run(["world", "score", "--results", results.path, "--attributes", missing])
        #expect(r.status == 1 && r.stderr.contains("nope.json") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
