import ArgumentParser
import Data
import Decoding
import Foundation
import GapAnalysis
import Metrics
import Tensor

/// `clipcap decode`: an embedding store → a COCO results JSON (DESIGN.md §4, §7).
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Caption every image of an embedding store; write a COCO results JSON.",
        discussion: """
        Reads NAME.safetensors and its NAME.jsonl sidecar, maps each row to a GPT-2 prefix with the checkpoint \
        (applying its normalize_prefix) and decodes it: beam search with 5 beams by default, or --greedy, or \
        --sample. One caption per image_id: where several rows share an image_id (a text store), the first row \
        is decoded. --align METHOD first maps the image embeddings toward the text embeddings of \
        --text-embeddings, as `clipcap gap align` does (on L2-normalized rows): mean, rotation, ot, sinkhorn or \
        memory. The results, [{"image_id": ..., "caption": "..."}], are written atomically.
        """)

    @Option(help: "ClipCap checkpoint folder.") var model: String
    @Option(help: "Embedding store NAME.safetensors (image_id in NAME.jsonl).") var embeddings: String
    @Option(help: "Results JSON to write.") var out: String
    @Option(help: "Align the embeddings first: none | \(AlignmentMethod.allCases.map(\.rawValue).joined(separator: " | ")).")
    var align = "none"
    @Option(help: "Text embedding store to align toward (with --align).") var textEmbeddings: String?
    @OptionGroup var decoding: DecodingFlags

    func validate() throws {
        guard embeddings.hasSuffix(".safetensors") else { throw ValidationError("--embeddings must name a .safetensors store, got '\(embeddings)'") }
        guard out.hasSuffix(".json") else { throw ValidationError("--out must name a .json file, got '\(out)'") }
        if align != "none" {
            guard AlignmentMethod(rawValue: align) != nil else {
                throw ValidationError("unknown --align '\(align)' (expected none, \(AlignmentMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard textEmbeddings != nil else { throw ValidationError("--align \(align) needs --text-embeddings") }
        }
    }

    func run() throws {
        let (captioner, options) = try decoding.captioner(checkpoint: model)
        let storeURL = URL(fileURLWithPath: embeddings)
        var store = try EmbeddingStore.read(storeURL)
        if let method = AlignmentMethod(rawValue: align), let textEmbeddings {
            let gap = try ModalityGap(image: store, text: try EmbeddingStore.read(URL(fileURLWithPath: textEmbeddings)))
            let alignment = try gap.align(method)
            store.embeddings = alignment.aligned
            FileHandle.standardError.write(Data("aligned \(store.count) embeddings (\(method.rawValue), \(String(format: "%.2f", alignment.seconds))s)\n".utf8))
        }
        let (ids, rows) = try store.firstRowPerImage()
        let progress = ProgressLine("decode", total: rows.count, unit: "images")
        let captions = try captioner.captions(for: store.embeddings.gather(rows: rows), options: options,
                                              batchSize: decoding.batchSize) { progress.advance(by: $0) }
        try EvaluationInputs.writeResults(zip(ids, captions).map { EvaluationInputs.Result(imageId: $0, caption: $1) },
                                          to: URL(fileURLWithPath: out))
        let empty = captions.filter { $0.isEmpty }.count
        if empty > 0 {
            FileHandle.standardError.write(Data("warning: \(empty) of the captions are empty (the model stopped at once); clipcap evaluate rejects them\n".utf8))
        }
        FileHandle.standardError.write(Data("wrote \(captions.count) captions to \(out)\n".utf8))
    }
}
