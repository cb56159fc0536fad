import Data
import Foundation
import Tensor

/// Generates a world folder:
///
///     DIR/images/00000.png …   one RGB8 PNG per image (`WorldConfig.imageSize` square)
///     DIR/dataset.json         Karpathy-split JSON: filepath "images", filename, imgid, split, sentids,
///                              sentences [{raw, tokens, imgid, sentid}] (5 per image)
///     DIR/attributes.json      the ground truth (`WorldAttributes`)
///
/// Image i is drawn from its own generator, seeded from (seed, i), so the world is the same however
/// the work is split across cores, and one seed gives byte-identical files. Images 0..<train are
/// "train", then `val` images "val", then `test` images "test". Sentence ids are 5·imgid + k.
///
/// The folder is built beside DIR under a temporary name and renamed into place when complete, so DIR
/// is never half-written. An existing DIR is replaced only when it is empty or holds a world
/// (an `attributes.json`); anything else is refused.
public struct WorldGenerator: Sendable {
    public let config: WorldConfig
    public let seed: UInt64
    public let captionsPerImage: Int

    public init(config: WorldConfig = WorldConfig(), seed: UInt64 = 0, captionsPerImage: Int = 5) {
        self.config = config; self.seed = seed; self.captionsPerImage = captionsPerImage
    }

    /// The generator of image `index`: SplitMix-style mixing of (seed, index) into one seed.
    public func rng(forImage index: Int) -> SeededRNG {
        SeededRNG(seed: seed ^ (UInt64(index) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Image `index`'s scene and captions (drawn in that order from its generator).
    public func sample(image index: Int) -> (scene: Scene, captions: [String]) {
        var rng = rng(forImage: index)
        let scene = SceneSampler(config: config).sample(&rng)
        return (scene, CaptionWriter(count: captionsPerImage).captions(of: scene, &rng))
    }

    /// The split of image `index` of `total` with `val` and `test` images at the end.
    public static func split(of index: Int, total: Int, val: Int, test: Int) -> String {
        index < total - val - test ? "train" : index < total - test ? "val" : "test"
    }

    /// Writes a world of `images` images (the last `val` + `test` of them held out) to `folder`.
    /// `progress` is called on the calling thread with the number of images written so far.
    public func generate(to folder: URL, images: Int, val: Int, test: Int,
                         progress: (Int) -> Void = { _ in }) throws {
        try validate(images: images, val: val, test: test)
        try checkReplaceable(folder)
        let fm = FileManager.default
        let parent = folder.standardizedFileURL.deletingLastPathComponent()
        let staged = parent.appendingPathComponent(".\(folder.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try fm.createDirectory(at: staged.appendingPathComponent("images"), withIntermediateDirectories: true)
            try write(images: images, val: val, test: test, into: staged, progress: progress)
            try AtomicWrite.replaceDirectory(folder, with: staged)
        } catch {
            try? fm.removeItem(at: staged)
            if let error = error as? WorldError { throw error }
            throw WorldError.writeFailed(path: folder.path, reason: Self.reason(error))
        }
    }

    /// The file name of image `index` when there are `total`: five digits, more when needed.
    public static func filename(_ index: Int, total: Int) -> String {
        let digits = max(5, String(max(total - 1, 0)).count)
        let number = String(index)
        return String(repeating: "0", count: digits - number.count) + number + ".png"
    }

    private func write(images total: Int, val: Int, test: Int, into folder: URL, progress: (Int) -> Void) throws {
        let imagesFolder = folder.appendingPathComponent("images")
        var entries: [KarpathyImage] = []
        var truth: [WorldAttributes.Image] = []
        entries.reserveCapacity(total); truth.reserveCapacity(total)
        let rasterizer = Rasterizer(config: config)
        // Batches keep progress regular and memory flat; inside a batch each core renders, encodes and
        // writes whole images.
        let batch = 256
        for start in stride(from: 0, to: total, by: batch) {
            let indices = start..<min(start + batch, total)
            let samples = indices.map { sample(image: $0) }
            var failures = [String?](repeating: nil, count: indices.count)
            failures.withUnsafeMutableBufferPointer { slots in
                DispatchQueue.concurrentPerform(iterations: indices.count) { k in
                    let index = indices.lowerBound + k
                    let url = imagesFolder.appendingPathComponent(Self.filename(index, total: total))
                    do {
                        let png = try PNGEncoder.encode(rgb: rasterizer.render(samples[k].scene),
                                                        width: config.imageSize, height: config.imageSize)
                        try Data(png).write(to: url)
                    } catch {
                        slots[k] = "\(url.path): \(Self.reason(error))"
                    }
                }
            }
            if let failure = failures.compactMap({ $0 }).first {
                throw WorldError.writeFailed(path: failure, reason: "image not written")
            }
            for (k, index) in indices.enumerated() {
                let name = Self.filename(index, total: total)
                let split = Self.split(of: index, total: total, val: val, test: test)
                entries.append(KarpathyImage(index: index, filename: name, split: split, captions: samples[k].captions))
                truth.append(WorldAttributes.Image(imgid: index, filename: name, split: split, scene: samples[k].scene))
            }
            progress(indices.upperBound)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(KarpathyDataset(images: entries)).write(to: folder.appendingPathComponent("dataset.json"))
        try WorldAttributes(config: config, seed: seed, images: truth).encoded()
            .write(to: folder.appendingPathComponent("attributes.json"))
    }

    private func validate(images: Int, val: Int, test: Int) throws {
        guard images > 0 else { throw WorldError.badConfig("the number of images must be positive, not \(images)") }
        guard val >= 0, test >= 0 else { throw WorldError.badConfig("val and test counts must not be negative") }
        guard val + test <= images else {
            throw WorldError.badConfig("val (\(val)) + test (\(test)) exceeds the \(images) images")
        }
        guard (8...4096).contains(config.imageSize) else {
            throw WorldError.badConfig("image size must be in 8...4096, not \(config.imageSize)")
        }
        guard config.objectCountWeights.count == 3, config.objectCountWeights.allSatisfy({ $0 >= 0 }),
              config.objectCountWeights.reduce(0, +) > 0 else {
            throw WorldError.badConfig("object count weights must be 3 non-negative numbers, not all 0")
        }
        guard config.smallRadius > 0, config.largeRadius >= config.smallRadius, config.largeRadius < 0.5,
              config.margin >= 0, (0...100).contains(config.colourJitter) else {
            throw WorldError.badConfig("radii must satisfy 0 < small <= large < 0.5, margin >= 0, jitter in 0...100")
        }
        guard captionsPerImage > 0 else { throw WorldError.badConfig("captions per image must be positive") }
    }

    private func checkReplaceable(_ folder: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw WorldError.writeFailed(path: folder.path, reason: "exists and is not a folder")
        }
        let contents = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
        guard contents.isEmpty || contents.contains("attributes.json") else {
            throw WorldError.writeFailed(path: folder.path, reason: "folder is not empty and holds no world (attributes.json); not replacing it")
        }
    }

    static func reason(_ error: Error) -> String {
        if let error = error as? WorldError { return error.description }
        return (error as NSError).localizedDescription
    }
}

/// One image entry of a Karpathy-split JSON, as Karpathy's files spell it.
struct KarpathyImage: Encodable {
    struct Sentence: Encodable {
        let raw: String
        let tokens: [String]
        let imgid: Int
        let sentid: Int
    }
    let filepath = "images"
    let filename: String
    let imgid: Int
    let split: String
    let sentids: [Int]
    let sentences: [Sentence]

    init(index: Int, filename: String, split: String, captions: [String]) {
        self.filename = filename; imgid = index; self.split = split
        sentids = captions.indices.map { index * captions.count + $0 }
        sentences = captions.enumerated().map { k, raw in
            Sentence(raw: raw, tokens: WorldVocabulary.words(raw), imgid: index, sentid: index * captions.count + k)
        }
    }
}

/// A Karpathy-split JSON file: `{"dataset": "world", "images": [...]}`.
struct KarpathyDataset: Encodable {
    let dataset = "world"
    let images: [KarpathyImage]
}
