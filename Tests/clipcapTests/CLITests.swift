import Foundation
import Testing
import TestSupport

/// End-to-end checks of the `clipcap` executable: exit status (0 success, 1 runtime failure, 2 usage
/// error), one line on stderr naming the file at fault, and no output left behind on failure.
/// Uses the demo CLIP in Experiments/demo (real architecture and BPE vocabulary, random weights).
@Suite(.serialized) struct CLITests {
    static let repo = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let demo = repo.appendingPathComponent("Experiments/demo")
    static let demoCLIP = demo.appendingPathComponent("clip")

    /// The built tool sits beside the test bundle in .build/<config>/.
    static var tool: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("clipcap")
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = tool
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// A copy of the demo CLIP folder that a test may break.
    static func clipCopy() throws -> URL {
        let d = try tempDir().appendingPathComponent("clip")
        try FileManager.default.copyItem(at: demoCLIP, to: d)
        return d
    }

    /// Expects a failure with `status`, one stderr line containing each of `mentions`, and no store written.
    static func expectFailure(_ args: [String], status: Int32 = 1, mentions: [String], out: URL,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(args)
        #expect(r.status == status, "exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1 || status == 2, "stderr is not one line: \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "stderr lacks '\(m)': \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("crashed"), sourceLocation: sourceLocation)
        let dir = out.deletingLastPathComponent()
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        #expect(!left.contains { $0.hasPrefix(out.deletingPathExtension().lastPathComponent) || $0.contains(".tmp") },
                "files left behind: \(left)", sourceLocation: sourceLocation)
    }

    @Test func embedsTextAndImagesOfTheDemo() throws {
        let dir = try Self.tempDir()
        let text = dir.appendingPathComponent("text.safetensors"), image = dir.appendingPathComponent("image.safetensors")
        let t = try Self.run(["embed", "text", "--clip", Self.demoCLIP.path, "--input", Self.demo.appendingPathComponent("captions.txt").path,
                              "--out", text.path, "--batch-size", "7"])
        #expect(t.status == 0, "\(t.stderr)")
        let i = try Self.run(["embed", "image", "--clip", Self.demoCLIP.path, "--input", Self.demo.appendingPathComponent("images").path,
                              "--out", image.path, "--batch-size", "3"])
        #expect(i.status == 0, "\(i.stderr)")
        let rows = try String(contentsOf: dir.appendingPathComponent("text.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 40)
        let irows = try String(contentsOf: dir.appendingPathComponent("image.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(irows.count == 8)
    }

    @Test func helpOnEveryCommand() throws {
        let commands = [[], ["embed"], ["embed", "text"], ["embed", "image"], ["caption"], ["decode"], ["evaluate"],
                        ["gap"], ["gap", "stats"], ["gap", "align"], ["gap", "mixup"], ["export"], ["export", "notebook"], ["train"], ["run"], ["bench"]]
        for args in commands.map({ $0 + ["--help"] }) {
            let r = try Self.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout.contains("USAGE"), "\(args)")
        }
    }

    @Test func usageErrorsExit2() throws {
        let dir = try Self.tempDir()
        let out = dir.appendingPathComponent("x.safetensors")
        try Self.expectFailure(["embed", "text", "--clip", Self.demoCLIP.path, "--out", out.path], status: 2, mentions: ["--input"], out: out)
        try Self.expectFailure(["embed", "text", "--clip", Self.demoCLIP.path, "--input", "a.txt", "--out", dir.appendingPathComponent("x.bin").path],
                               status: 2, mentions: [".safetensors"], out: out)
        try Self.expectFailure(["bench", "nonsense"], status: 2, mentions: ["nonsense"], out: out)
    }

    @Test func missingAndEmptyInputs() throws {
        let dir = try Self.tempDir()
        let out = dir.appendingPathComponent("x.safetensors")
        let captions = Self.demo.appendingPathComponent("captions.txt").path
        try Self.expectFailure(["embed", "text", "--clip", dir.appendingPathComponent("nope").path, "--input", captions, "--out", out.path],
                               mentions: ["nope"], out: out)
        try Self.expectFailure(["embed", "text", "--clip", Self.demoCLIP.path, "--input", dir.appendingPathComponent("none.txt").path, "--out", out.path],
                               mentions: ["none.txt"], out: out)
        let empty = dir.appendingPathComponent("empty.txt")
        try "\n\n".write(to: empty, atomically: true, encoding: .utf8)
        try Self.expectFailure(["embed", "text", "--clip", Self.demoCLIP.path, "--input", empty.path, "--out", out.path],
                               mentions: ["empty.txt", "no captions"], out: out)
    }

    @Test func brokenCheckpoints() throws {
        let captions = Self.demo.appendingPathComponent("captions.txt").path
        func embed(_ clip: URL, _ out: URL) -> [String] { ["embed", "text", "--clip", clip.path, "--input", captions, "--out", out.path] }

        // truncated weights
        var clip = try Self.clipCopy()
        var out = clip.deletingLastPathComponent().appendingPathComponent("o.safetensors")
        let weights = clip.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        try Self.expectFailure(embed(clip, out), mentions: [weights.path, "truncated"], out: out)

        // missing weights file
        try FileManager.default.removeItem(at: weights)
        try Self.expectFailure(embed(clip, out), mentions: [weights.path], out: out)

        // a config that asks for a layer the checkpoint does not have → missing tensor
        clip = try Self.clipCopy()
        out = clip.deletingLastPathComponent().appendingPathComponent("o.safetensors")
        var cfg = try String(contentsOf: clip.appendingPathComponent("config.json"), encoding: .utf8)
        try cfg.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
            .write(to: clip.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try Self.expectFailure(embed(clip, out), mentions: ["model.safetensors", "missing tensor"], out: out)

        // a config whose width disagrees with the weights → wrong shape
        clip = try Self.clipCopy()
        out = clip.deletingLastPathComponent().appendingPathComponent("o.safetensors")
        cfg = try String(contentsOf: clip.appendingPathComponent("config.json"), encoding: .utf8)
        try cfg.replacingOccurrences(of: "\"intermediate_size\": 128", with: "\"intermediate_size\": 96")
            .write(to: clip.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try Self.expectFailure(embed(clip, out), mentions: ["model.safetensors", "shape"], out: out)

        // a config field that is absent
        clip = try Self.clipCopy()
        out = clip.deletingLastPathComponent().appendingPathComponent("o.safetensors")
        cfg = try String(contentsOf: clip.appendingPathComponent("config.json"), encoding: .utf8)
        let lines = cfg.split(separator: "\n", omittingEmptySubsequences: false)
        let firstHidden = lines.firstIndex { $0.contains("\"hidden_size\"") }!
        try lines.enumerated().filter { $0.offset != firstHidden }.map(\.element).joined(separator: "\n")
            .write(to: clip.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try Self.expectFailure(embed(clip, out), mentions: ["config.json", "hidden_size"], out: out)

        // an unsupported dtype: the first tensor the text tower reads, stored as I32
        clip = try Self.clipCopy()
        out = clip.deletingLastPathComponent().appendingPathComponent("o.safetensors")
        let header = #"{"text_model.embeddings.token_embedding.weight":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
        var file = Data()
        var length = UInt64(header.utf8.count).littleEndian
        file.append(Data(bytes: &length, count: 8))
        file.append(Data(header.utf8))
        file.append(Data([0, 0, 0, 0]))
        try file.write(to: clip.appendingPathComponent("model.safetensors"))
        try Self.expectFailure(embed(clip, out), mentions: ["model.safetensors", "I32"], out: out)
    }

    @Test func corruptAndTruncatedImages() throws {
        let dir = try Self.tempDir()
        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("o.safetensors")
        let jpeg = try Data(contentsOf: Self.demo.appendingPathComponent("images/shape_01.jpg"))
        try jpeg.write(to: images.appendingPathComponent("a_good.jpg"))
        try jpeg.prefix(jpeg.count / 2).write(to: images.appendingPathComponent("b_truncated.jpg"))
        try Self.expectFailure(["embed", "image", "--clip", Self.demoCLIP.path, "--input", images.path, "--out", out.path],
                               mentions: ["b_truncated.jpg"], out: out)
        try FileManager.default.removeItem(at: images.appendingPathComponent("b_truncated.jpg"))
        try Data("this is not an image".utf8).write(to: images.appendingPathComponent("c_corrupt.png"))
        try Self.expectFailure(["embed", "image", "--clip", Self.demoCLIP.path, "--input", images.path, "--out", out.path],
                               mentions: ["c_corrupt.png"], out: out)
    }
}
