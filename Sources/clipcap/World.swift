import ArgumentParser
import Data
import Foundation
import Metrics
import Tokenizers
import World

/// `clipcap world generate|score|bpe`: the built-in research world (issue 7). `run()` only calls World.
struct WorldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "world",
        abstract: "Generate the built-in world of shapes (images, captions, ground truth) and score captions of it.",
        subcommands: [WorldGenerate.self, WorldScore.self, WorldBPE.self])
}

/// `clipcap world generate`: a seeded world folder.
struct WorldGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a seeded world: images/NNNNN.png, dataset.json (Karpathy split) and attributes.json.",
        discussion: """
        Each image shows one to three filled shapes (circle, square, triangle, star, hexagon, diamond) in \
        eight colours (red, orange, yellow, green, blue, purple, white, black), small or large, on a solid, \
        gradient or noise background, anti-aliased by 4x4 supersampling. With two or more objects the first \
        is left of, right of, above or below the second. Each image has 5 true captions from several \
        templates and synonyms. Object centres lie on a --grid of 8 px by default at 64 px (an eighth of --size), the patch size \
        of the shipped CLIP: a small ViT learns shapes it sees at a few patch offsets within minutes on a CPU, but \
        at arbitrary offsets it learns colour and not shape (--grid 0 places centres anywhere).

        Of --images images, the last --val + --test are the val and test splits (in that order); the rest \
        are train. The same --seed and settings give byte-identical files. DIR is written under a temporary \
        name and renamed into place when complete; an existing DIR is replaced only when it is empty or \
        holds a world. Progress goes to stderr.

        Exit status: 0 on success, 1 when the folder cannot be written, 2 on a usage error.
        """)

    @Option(help: "Folder to write (DIR/images, DIR/dataset.json, DIR/attributes.json).")
    var out: String
    @Option(help: "Number of images in all splits.")
    var images: Int
    @Option(help: "Images in the val split (default: a tenth of --images).")
    var val: Int?
    @Option(help: "Images in the test split (default: a tenth of --images).")
    var test: Int?
    @Option(help: "Image side in pixels (8...4096).")
    var size: Int = 64
    @Option(help: "Put object centres on a grid of this many pixels (0: anywhere; default: an eighth of --size, 8 at 64); match it to a ViT's patch size.")
    var grid: Int?
    @Option(help: "Seed of the world.")
    var seed: UInt64 = 0

    func validate() throws {
        guard images > 0 else { throw ValidationError("--images must be positive") }
        if let grid { guard grid >= 0, grid <= size else { throw ValidationError("--grid must be in 0...--size") } }
        guard (8...4096).contains(size) else { throw ValidationError("--size must be in 8...4096") }
        let (v, t) = (val ?? images / 10, test ?? images / 10)
        guard v >= 0, t >= 0 else { throw ValidationError("--val and --test must not be negative") }
        guard v + t <= images else { throw ValidationError("--val (\(v)) + --test (\(t)) exceed --images (\(images))") }
    }

    func run() throws {
        var config = WorldConfig()
        config.imageSize = size
        config.positionGrid = grid ?? WorldConfig.defaultGrid(imageSize: size)
        let generator = WorldGenerator(config: config, seed: seed)
        let progress = ProgressLine("world", total: images, unit: "images")
        try generator.generate(to: URL(fileURLWithPath: out), images: images, val: val ?? images / 10,
                               test: test ?? images / 10) { done in progress.advance(by: done - progress.done) }
    }
}

/// `clipcap world score`: attribute accuracy of generated captions.
struct WorldScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Attribute accuracy: the fraction of images whose caption names the right shapes, colours and relation.",
        discussion: """
        Parses each caption of --results with every synonym of the world's vocabulary and compares it with \
        the image's ground truth in --attributes. A one-object image is right when the first object named \
        has its shape and colour and no relation is stated. An image with two or three objects is right when \
        the caption names two of them with their shapes and colours and a relation that holds between them \
        (more along its axis than across it), in either order ("B right of A" counts as "A left of B"); any \
        two of three objects will do, as the image does not show which pair its captions relate. Size and \
        the unrelated object are not scored. shape_accuracy and colour_accuracy are over all images, relation_accuracy \
        over those with a relation (left out when there are none).

        Prints "NAME: value" lines; --out writes a CSV with columns attribute_accuracy, shape_accuracy, \
        colour_accuracy, relation_accuracy, images (atomically).

        Exit status: 0 on success, 1 when an input cannot be read or names an image the attributes do not \
        describe, 2 on a usage error.
        """)

    @Option(help: #"COCO results JSON: [{"image_id": ..., "caption": "..."}, ...], ids being the world's imgid."#)
    var results: String
    @Option(help: "The world's attributes.json.")
    var attributes: String
    @Option(help: "Write the scores to this CSV.")
    var out: String?

    func run() throws {
        let entries = try EvaluationInputs.readResults(URL(fileURLWithPath: results), allowEmptyCaptions: true)
        let truth = try WorldAttributes.read(URL(fileURLWithPath: attributes))
        let scores = try AttributeAccuracy.score(entries.map { ($0.imageId, $0.caption) }, attributes: truth,
                                                 resultsFile: results)
        let (header, row) = scores.csv
        for (name, value) in zip(header, row) { print("\(name): \(value)") }
        if let out { try CSVWriter.write(header: header, rows: [row], to: URL(fileURLWithPath: out)) }
    }
}

/// `clipcap world bpe`: a small GPT-2-format vocabulary learned from a world's captions.
struct WorldBPE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpe",
        abstract: "Learn a byte-level BPE (vocab.json, merges.txt) for GPT-2 or CLIP from a dataset's captions.",
        discussion: """
        Reads the captions of --split in --dataset (a Karpathy split JSON or COCO captions), splits them \
        with the pre-tokenizer of --format and learns up to --merges merges, most frequent pair first (ties \
        to the smaller ids), stopping early when no pair occurs twice. Writes OUT/vocab.json and \
        OUT/merges.txt, each atomically. gpt2: 256 byte tokens, the merges, then <|endoftext|>; GPT-2's \
        tokenizer loads the folder. clip: captions are lowercased, each word's last symbol carries </w>; \
        256 byte tokens, the same with </w>, the merges, then <|startoftext|> and <|endoftext|>; CLIP's \
        tokenizer loads the folder (use it as --tokenizer of `clipcap pretrain clip`).

        Exit status: 0 on success, 1 when the dataset cannot be read or the folder written, 2 on a usage error.
        """)

    @Option(help: "Dataset JSON whose captions to learn from (a world's dataset.json).")
    var dataset: String
    @Option(help: "Folder to write vocab.json and merges.txt into.")
    var out: String
    @Option(help: "Most merges to learn.")
    var merges: Int = 1000
    @Option(help: "Split(s) of the dataset to learn from, comma-separated.")
    var split: String = "train"
    @Option(help: "Vocabulary format: gpt2 or clip.")
    var format: String = "gpt2"

    func validate() throws {
        guard BPETrainer.Format(rawValue: format) != nil else { throw ValidationError("--format must be gpt2 or clip, not \(format)") }
        guard merges >= 0 else { throw ValidationError("--merges must not be negative") }
        guard !splits.isEmpty else { throw ValidationError("--split names no split") }
    }

    private var splits: [String] { commaList(split) }

    func run() throws {
        let captions = try Datasets.captions(from: URL(fileURLWithPath: dataset), splits: splits).map(\.caption)
        let trainer = BPETrainer(texts: captions, mergeCount: merges, format: BPETrainer.Format(rawValue: format) ?? .gpt2)
        try trainer.write(to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(Data("learned \(trainer.merges.count) merges from \(captions.count) captions; vocabulary of \(trainer.tokens.count) tokens in \(out)\n".utf8))
    }
}
