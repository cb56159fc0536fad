import Foundation
import Testing
import TestSupport

/// `clipcap caption` and `clipcap decode` end to end against transformers: Tests/Fixtures/gen_captioning.py
/// ran the demo images through HF CLIP, the official MLP mapper and HF GPT-2's greedy `generate`; the
/// captions printed here must be exactly those (text equality; the generator kept only images whose greedy
/// path has a top-1/top-2 logit margin above 1e-4, far above the ~1e-6 float32 differences).
@Suite(.serialized) struct CaptionCLITests {
    struct Golden: Decodable {
        struct Entry: Decodable { var image: String; var caption: String; var start_caption: String }
        var max_new_tokens: Int
        var start: String
        var images: [Entry]
    }

    static let checkpoint = fixturesDirectory.appendingPathComponent("tiny-clipcap-demo")

    static func golden() throws -> Golden {
        let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("captioning/golden.json"))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    @Test func captionPrintsTransformersGreedyCaptions() throws {
        let g = try Self.golden()
        let images = g.images.map { CLITests.repo.appendingPathComponent($0.image).path }
        let dir = try CLITests.tempDir()
        let json = dir.appendingPathComponent("captions.json")
        let r = try CLITests.run(["caption", "--model", Self.checkpoint.path, "--image"] + images +
                                 ["--greedy", "--max-length", "\(g.max_new_tokens)", "--json", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == images.count)
        for (line, (path, entry)) in zip(lines, zip(images, g.images)) {
            #expect(line == Substring("\(path)\t\(entry.caption)"))
        }
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: String]]
        #expect(written?.map { $0["caption"] ?? "" } == g.images.map(\.caption))

        let started = try CLITests.run(["caption", "--model", Self.checkpoint.path, "--image"] + images +
                                       ["--greedy", "--max-length", "\(g.max_new_tokens)", "--start", g.start])
        #expect(started.status == 0, "\(started.stderr)")
        let startedLines = started.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(startedLines.map { String($0.split(separator: "\t", maxSplits: 1).last ?? "") } == g.images.map(\.start_caption))
    }

    @Test func embedThenDecodeWritesResultsJSON() throws {
        let g = try Self.golden()
        let dir = try CLITests.tempDir()
        let list = dir.appendingPathComponent("images.txt")
        try g.images.map { CLITests.repo.appendingPathComponent($0.image).path }.joined(separator: "\n")
            .write(to: list, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("images.safetensors")
        let e = try CLITests.run(["embed", "image", "--clip", CLITests.demoCLIP.path, "--input", list.path, "--out", store.path])
        #expect(e.status == 0, "\(e.stderr)")
        let results = dir.appendingPathComponent("results.json")
        let d = try CLITests.run(["decode", "--model", Self.checkpoint.path, "--embeddings", store.path, "--out", results.path,
                                  "--greedy", "--max-length", "\(g.max_new_tokens)", "--batch-size", "3"])
        #expect(d.status == 0, "\(d.stderr)")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: results)) as? [[String: Any]]
        #expect(written?.map { $0["caption"] as? String ?? "" } == g.images.map(\.caption))
        #expect(written?.count == g.images.count && written?.allSatisfy { $0["image_id"] != nil } == true)
    }

    @Test func decodeRejectsBadInput() throws {
        let dir = try CLITests.tempDir()
        let out = dir.appendingPathComponent("results.json")
        // a store whose width (the demo CLIP text store is 32-wide) does not match a broken copy is covered by
        // the mapper-width check below: write a 5-wide store.
        let store = dir.appendingPathComponent("narrow.safetensors")
        try Data("{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[1,5],\"data_offsets\":[0,20]}}".utf8).withUnsafeBytes { header in
            var file = Data()
            var length = UInt64(header.count).littleEndian
            file.append(Data(bytes: &length, count: 8))
            file.append(Data(header))
            file.append(Data(count: 20))
            try file.write(to: store)
        }
        try Data("{\"image_id\": 1, \"path\": \"x.png\"}\n".utf8).write(to: dir.appendingPathComponent("narrow.jsonl"))
        try CLITests.expectFailure(["decode", "--model", Self.checkpoint.path, "--embeddings", store.path, "--out", out.path, "--greedy"],
                                   mentions: ["(N, 32)"], out: out)
        try CLITests.expectFailure(["decode", "--model", dir.appendingPathComponent("nope").path, "--embeddings", store.path,
                                    "--out", out.path], mentions: ["nope"], out: out)
        try CLITests.expectFailure(["decode", "--model", Self.checkpoint.path, "--embeddings", store.path, "--out", out.path,
                                    "--greedy", "--beam", "3"], status: 2, mentions: ["--greedy"], out: out)
        try CLITests.expectFailure(["decode", "--model", Self.checkpoint.path, "--embeddings", store.path, "--out", out.path,
                                    "--align", "ot"], status: 2, mentions: ["--text-embeddings"], out: out)
        try CLITests.expectFailure(["caption", "--model", Self.checkpoint.path, "--image", dir.appendingPathComponent("missing.png").path],
                                   mentions: ["missing.png"], out: out)
    }
}

/// `clipcap gap mixup` end to end on the demo's test split: the table's shape, and the captions at the two
/// ends of the sweep equal `clipcap decode` of the image store (λ = 0) and of the text store's first caption
/// per image (λ = 1, text choice first); the checkpoint renormalizes its input, so mixing normalized rows
/// decodes exactly as the raw stores do.
@Suite(.serialized) struct MixupCLITests {
    @Test func sweepTableAndEnds() throws {
        let dir = try CLITests.tempDir()
        let demo = CLITests.demo
        let dataset = demo.appendingPathComponent("dataset.json").path
        let image = dir.appendingPathComponent("image.safetensors"), text = dir.appendingPathComponent("text.safetensors")
        for (kind, out, extra) in [("image", image, ["--images", demo.path]), ("text", text, [])] {
            let r = try CLITests.run(["embed", kind, "--clip", CLITests.demoCLIP.path, "--input", dataset, "--split", "test",
                                      "--out", out.path] + extra)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let csv = dir.appendingPathComponent("mixup.csv"), svg = dir.appendingPathComponent("mixup.svg")
        let results = dir.appendingPathComponent("results")
        let checkpoint = CaptionCLITests.checkpoint.path
        let m = try CLITests.run(["gap", "mixup", "--model", "a=\(checkpoint)", "--model", "b=\(checkpoint)",
                                  "--image", image.path, "--text", text.path, "--references", dataset, "--split", "test",
                                  "--lambdas", "0:1:0.5", "--out", csv.path, "--plot", svg.path, "--results", results.path,
                                  "--greedy", "--max-length", "12"])
        #expect(m.status == 0, "\(m.stderr)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "lambda,model,images,BLEU_1,BLEU_2,BLEU_3,BLEU_4,ROUGE_L,CIDEr")
        #expect(lines.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") } ==
                ["0.0,a,2", "0.0,b,2", "0.5,a,2", "0.5,b,2", "1.0,a,2", "1.0,b,2"])
        #expect(try String(contentsOf: svg, encoding: .utf8).contains("<svg"))

        func captions(_ url: URL) throws -> [String] {
            let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]] ?? []
            return rows.map { $0["caption"] as? String ?? "<none>" }
        }
        for (lambda, store) in [("0.0", image), ("1.0", text)] {
            let decoded = dir.appendingPathComponent("decoded-\(lambda).json")
            let d = try CLITests.run(["decode", "--model", checkpoint, "--embeddings", store.path, "--out", decoded.path,
                                      "--greedy", "--max-length", "12"])
            #expect(d.status == 0, "\(d.stderr)")
            let swept = try captions(results.appendingPathComponent("mixup-a-lambda\(lambda).json"))
            let expected = try captions(decoded)
            #expect(swept.count == 2 && swept == expected, "λ = \(lambda)")
        }

        try CLITests.expectFailure(["gap", "mixup", "--model", checkpoint, "--image", image.path, "--text", text.path,
                                    "--references", dataset, "--lambdas", "0,1.5", "--out", dir.appendingPathComponent("bad.csv").path],
                                   status: 2, mentions: ["1.5"], out: dir.appendingPathComponent("bad.csv"))
        try CLITests.expectFailure(["gap", "mixup", "--model", checkpoint, "--image", image.path, "--text", text.path,
                                    "--references", dataset, "--text-choice", "last", "--out", dir.appendingPathComponent("bad.csv").path],
                                   status: 2, mentions: ["last"], out: dir.appendingPathComponent("bad.csv"))
    }
}
