import Dispatch
import Foundation
import Imaging
import Models
import Tensor
import Tokenizers

/// CLIP embeddings of captions and images in input order: the work of `clipcap embed` and of a run's
/// embed stage. `progress` is told how many rows each batch finished.
public enum CLIPEmbedder {
    /// Embeds captions in input order. Batches are formed over the captions sorted by token count, each padded
    /// only to its own longest row; results are scattered back to input order.
    public static func captions(_ captions: [String], model: CLIPTextModel, tokenizer: CLIPTokenizer, projectionDim: Int,
                                    batchSize: Int, progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let context = min(CLIPTokenizer.defaultContextLength, model.config.maxPositions)
        let tokenized = captions.map { tokenizer.encode($0, contextLength: context) }
        let order = tokenized.indices.sorted { (tokenized[$0].count, $0) < (tokenized[$1].count, $1) }
        var out = Tensor(uninitialized: [captions.count, projectionDim])
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
            progress?(rows.count)
        }
        return out
    }

    /// Embeds images in the given order. Each batch is decoded and preprocessed in parallel straight into
    /// one (B, 3, S, S) tensor, then run through the vision tower. The first unreadable image stops the run
    /// with an error naming it.
    public static func images(_ paths: [String], model: CLIPModel, clipFolder: URL, batchSize: Int,
                                  progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let processor = try CLIPImageProcessor(modelFolder: clipFolder)
        let s = model.config.visionConfig.imageSize, d = model.config.projectionDim
        guard processor.config.cropHeight == s, processor.config.cropWidth == s else {
            throw ModelError.invalidConfig(
                file: clipFolder.appendingPathComponent("preprocessor_config.json").path,
                reason: "crop size \(processor.config.cropHeight)×\(processor.config.cropWidth) does not match the vision tower's image_size \(s)")
        }
        var out = Tensor(uninitialized: [paths.count, d])
        var start = 0
        while start < paths.count {
            let count = min(batchSize, paths.count - start)
            let pixels = try Self.pixels(Array(paths[start..<(start + count)]), processor: processor, size: s)
            let embeddings = try model.vision.embed(pixels: pixels)
            (out.mutableData + start * d).update(from: embeddings.data, count: count * d)
            start += count
            progress?(count)
        }
        return out
    }

    /// Decodes and preprocesses `paths` in parallel straight into one (B, 3, S, S) tensor; the first
    /// unreadable image is the error, naming its file.
    public static func pixels(_ paths: [String], processor: CLIPImageProcessor, size s: Int) throws -> Tensor {
        try pixels(count: paths.count, processor: processor, size: s) { i in
            try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: paths[i]), alpha: processor.alpha)
        }
    }

    /// Preprocesses `count` images, image i made by `image(i)` (called concurrently), in parallel straight
    /// into one (B, 3, S, S) tensor; the first error thrown is the error.
    public static func pixels(count: Int, processor: CLIPImageProcessor, size s: Int,
                              image: @Sendable (Int) throws -> RGBImage) throws -> Tensor {
        var pixels = Tensor(uninitialized: [count, 3, s, s])
        let dst = pixels.mutableData, perImage = 3 * s * s
        var failures = [(any Error)?](repeating: nil, count: count)
        failures.withUnsafeMutableBufferPointer { fail in
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do {
                    processor.preprocess(try image(i), into: dst + i * perImage)
                } catch {
                    fail[i] = error
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return pixels
    }
}
