import ArgumentParser
import Data
import Experiments
import Foundation
import Imaging
import Models
import Tensor
import Tokenizers

/// `clipcap embed text|image`: CLIP embeddings into an embedding store (DESIGN.md §4).
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed captions or images with a CLIP checkpoint into an embedding store.",
        subcommands: [EmbedText.self, EmbedImage.self])
}

/// Options shared by both embed commands.
struct EmbedOptions: ParsableArguments {
    @Option(help: "CLIP checkpoint folder in HF layout (config.json, model.safetensors, vocab.json, merges.txt).")
    var clip: String
    @Option(help: "Output store NAME.safetensors; NAME.jsonl is written beside it.")
    var out: String
    @Option(help: "Dataset split(s) to keep, comma-separated (Karpathy JSON only), e.g. test or train,restval.")
    var split: String?
    @Option(help: "Rows per forward pass (default: 64 for text, 16 for images).")
    var batchSize: Int?

    func validate() throws {
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file, got '\(out)'") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    var splits: [String]? { split.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }
    var clipURL: URL { URL(fileURLWithPath: clip) }
    var outURL: URL { URL(fileURLWithPath: out) }

    func checkFolder() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: clip, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError.missingFile(clip + " (CLIP checkpoint folder)")
        }
    }
}

struct EmbedText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Embed captions with CLIP's text tower.",
        discussion: """
        --input: a .txt file (one caption per line), a Karpathy-split JSON, a COCO captions JSON, a Flickr30k \
        token file, or a .csv/.jsonl with image_id and caption columns. Rows of the store follow the input order; \
        the sidecar holds image_id, caption_id and caption. Captions are batched by token length, which changes \
        no result: CLIP's causal mask keeps the pooled EOS output independent of padding.
        """)

    @OptionGroup var options: EmbedOptions
    @Option(help: "Captions file or dataset.") var input: String

    func run() throws {
        try options.checkFolder()
        let records = try Datasets.captions(from: URL(fileURLWithPath: input), splits: options.splits)
        let tokenizer = try CLIPTokenizer(directory: options.clipURL)
        let model = try CLIPModel(folder: options.clipURL)
        let progress = ProgressLine("embed text", total: records.count, unit: "captions")
        let embeddings = try CLIPEmbedder.captions(records.map(\.caption), model: model.text, tokenizer: tokenizer,
                                                   projectionDim: model.config.projectionDim, batchSize: options.batchSize ?? 64,
                                                   progress: progress.advance)
        try EmbeddingStore.write(embeddings: embeddings, rows: records, to: options.outURL)
        FileHandle.standardError.write(Data("wrote \(records.count) text embeddings to \(options.out)\n".utf8))
    }
}

struct EmbedImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Embed images with CLIP's vision tower.",
        discussion: """
        --input: a folder of .jpg/.jpeg/.png images, a .txt list of image paths, or a dataset (Karpathy or COCO \
        JSON) together with --images, the folder its file names are relative to. Images are decoded (JPEG, PNG; \
        grayscale, palette, 16-bit and alpha become RGB) and preprocessed as CLIPImageProcessor does, reading \
        preprocessor_config.json from the CLIP folder when present. A corrupt image stops the run with its path; \
        nothing is written.
        """)

    @OptionGroup var options: EmbedOptions
    @Option(help: "Image folder, .txt list of paths, or dataset file.") var input: String
    @Option(help: "Folder that a dataset's image file names are relative to.") var images: String?

    func run() throws {
        try options.checkFolder()
        let records = try Datasets.images(from: URL(fileURLWithPath: input),
                                          imagesRoot: images.map { URL(fileURLWithPath: $0) }, splits: options.splits)
        let model = try CLIPModel(folder: options.clipURL)
        let progress = ProgressLine("embed image", total: records.count, unit: "images")
        let embeddings = try CLIPEmbedder.images(records.map(\.path), model: model, clipFolder: options.clipURL,
                                                 batchSize: options.batchSize ?? 16, progress: progress.advance)
        try EmbeddingStore.write(embeddings: embeddings, rows: records, to: options.outURL)
        FileHandle.standardError.write(Data("wrote \(records.count) image embeddings to \(options.out)\n".utf8))
    }
}
