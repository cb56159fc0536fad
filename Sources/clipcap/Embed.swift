import ArgumentParser
import Data
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
        let embeddings = try embedCaptions(records.map(\.caption), model: model.text, tokenizer: tokenizer,
                                           projectionDim: model.config.projectionDim, batchSize: options.batchSize ?? 64)
        try EmbeddingStore.write(embeddings: embeddings, rows: records, to: options.outURL)
        FileHandle.standardError.write(Data("wrote \(records.count) text embeddings to \(options.out)\n".utf8))
    }
}

/// Embeds captions in input order. Batches are formed over the captions sorted by token count, each padded
/// only to its own longest row; results are scattered back to input order.
func embedCaptions(_ captions: [String], model: CLIPTextModel, tokenizer: CLIPTokenizer, projectionDim: Int,
                   batchSize: Int, showProgress: Bool = true) throws -> Tensor {
    let context = min(CLIPTokenizer.defaultContextLength, model.config.maxPositions)
    let tokenized = captions.map { tokenizer.encode($0, contextLength: context) }
    let order = tokenized.indices.sorted { (tokenized[$0].count, $0) < (tokenized[$1].count, $1) }
    var out = Tensor(uninitialized: [captions.count, projectionDim])
    let progress = showProgress ? ProgressLine("embed text", total: captions.count, unit: "captions") : nil
    var start = 0
    while start < order.count {
        let rows = Array(order[start..<min(start + batchSize, order.count)])
        let t = rows.map { tokenized[$0].count }.max()!
        var ids = [Int32](repeating: Int32(tokenizer.padTokenId), count: rows.count * t)
        for (r, i) in rows.enumerated() { for (j, id) in tokenized[i].enumerated() { ids[r * t + j] = Int32(id) } }
        let embeddings = try model.embed(ids: ids, batch: rows.count, tokens: t)
        for (r, i) in rows.enumerated() {
            (out.mutableData + i * projectionDim).update(from: embeddings.data + r * projectionDim, count: projectionDim)
        }
        start += rows.count
        progress?.advance(by: rows.count)
    }
    return out
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
        let embeddings = try embedImages(records.map(\.path), model: model, clipFolder: options.clipURL,
                                         batchSize: options.batchSize ?? 16)
        try EmbeddingStore.write(embeddings: embeddings, rows: records, to: options.outURL)
        FileHandle.standardError.write(Data("wrote \(records.count) image embeddings to \(options.out)\n".utf8))
    }
}

/// Embeds images in the given order. Each batch is decoded and preprocessed in parallel straight into
/// one (B, 3, S, S) tensor, then run through the vision tower. The first unreadable image stops the run
/// with an error naming it.
func embedImages(_ paths: [String], model: CLIPModel, clipFolder: URL, batchSize: Int,
                 showProgress: Bool = true) throws -> Tensor {
    let processor = try CLIPImageProcessor(modelFolder: clipFolder)
    let s = model.config.visionConfig.imageSize, d = model.config.projectionDim
    guard processor.config.cropHeight == s, processor.config.cropWidth == s else {
        throw ModelError.invalidConfig(
            file: clipFolder.appendingPathComponent("preprocessor_config.json").path,
            reason: "crop size \(processor.config.cropHeight)×\(processor.config.cropWidth) does not match the vision tower's image_size \(s)")
    }
    var out = Tensor(uninitialized: [paths.count, d])
    let progress = showProgress ? ProgressLine("embed image", total: paths.count, unit: "images") : nil
    let perImage = 3 * s * s
    var start = 0
    while start < paths.count {
        let count = min(batchSize, paths.count - start)
        var pixels = Tensor(uninitialized: [count, 3, s, s])
        let dst = pixels.mutableData
        var failures = [(any Error)?](repeating: nil, count: count)
        failures.withUnsafeMutableBufferPointer { fail in
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do {
                    let image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paths[start + i]), alpha: processor.alpha)
                    processor.preprocess(image, into: dst + i * perImage)
                } catch {
                    fail[i] = error
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        let embeddings = try model.vision.embed(pixels: pixels)
        (out.mutableData + start * d).update(from: embeddings.data, count: count * d)
        start += count
        progress?.advance(by: count)
    }
    return out
}
