import ArgumentParser
import Data
import Decoding
import Experiments
import Foundation
import Models
import Tensor

/// `clipcap caption`: image files → captions in one command (CLIP's vision tower, the mapper, GPT-2).
struct Caption: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Caption image files with a ClipCap checkpoint.",
        discussion: """
        Each image is embedded with the CLIP checkpoint (--clip, or "clip" in the checkpoint's clipcap.json), \
        mapped to a GPT-2 prefix (L2-normalized first when the checkpoint was trained with normalize_prefix) and \
        decoded: beam search with 5 beams by default, or --greedy, or --sample. --start gives words every caption \
        begins with (human in the loop); generation continues from them. Prints one line per image: its path, a \
        tab, the caption. --json also writes [{"image_id": FILE NAME, "path": ..., "caption": ...}] atomically.
        """)

    @Option(help: "ClipCap checkpoint folder (model.safetensors, clipcap.json).") var model: String
    @Option(parsing: .upToNextOption, help: "Image file(s): JPEG or PNG.") var image: [String]
    @Option(help: "CLIP folder in HF layout (default: clipcap.json's \"clip\").") var clip: String?
    @OptionGroup var decoding: DecodingFlags
    @Option(help: "Also write the captions to this JSON file.") var json: String?

    func validate() throws {
        guard !image.isEmpty else { throw ValidationError("give at least one --image") }
        if let json, !json.hasSuffix(".json") { throw ValidationError("--json must name a .json file, got '\(json)'") }
    }

    func run() throws {
        for path in image where !FileManager.default.fileExists(atPath: path) { throw ModelError.missingFile(path) }
        let (captioner, options) = try decoding.captioner(checkpoint: model)
        guard let clipFolder = clip.map({ URL(fileURLWithPath: $0) }) ?? captioner.clipFolder else {
            throw ValidationError("no CLIP folder: pass --clip DIR (the checkpoint's clipcap.json names none)")
        }
        let clipModel = try CLIPModel(folder: clipFolder)
        guard clipModel.config.projectionDim == captioner.model.config.prefixSize else {
            throw ModelError.invalidConfig(file: clipFolder.appendingPathComponent("config.json").path,
                                           reason: "projection_dim \(clipModel.config.projectionDim) does not match the mapper's prefix_size \(captioner.model.config.prefixSize)")
        }
        let progress = image.count > 16 ? ProgressLine("embed image", total: image.count, unit: "images") : nil
        let embeddings = try CLIPEmbedder.images(image, model: clipModel, clipFolder: clipFolder, batchSize: 16,
                                                 progress: progress?.advance)
        let captions = try captioner.captions(for: embeddings, options: options, batchSize: decoding.batchSize)
        for (path, caption) in zip(image, captions) { print("\(path)\t\(caption)") }
        if let json {
            let entries: [JSONValue] = zip(image, captions).map { path, caption in
                .object(["image_id": .string(URL(fileURLWithPath: path).lastPathComponent), "path": .string(path),
                         "caption": .string(caption)])
            }
            try AtomicWrite.write(Foundation.Data(JSONValue.array(entries).description.utf8), to: URL(fileURLWithPath: json))
        }
    }
}
