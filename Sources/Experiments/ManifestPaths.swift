import Foundation

/// Files an HF checkpoint folder must hold (DESIGN.md §2).
private let checkpointFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]

extension Manifest {
    /// Checks, before any long stage, that the inputs the run will need exist, and throws the first missing
    /// one as `ManifestError.missingPath` (see `missingPaths(relativeTo:)` for all of them).
    public func validatePaths(relativeTo base: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws {
        if let first = missingPaths(relativeTo: base).first { throw first }
    }

    /// Every needed input that is missing, each as a one-line error saying what to download or make and
    /// where to put it. Relative paths resolve against `base` (by default the current directory, as the
    /// run resolves them). What is needed:
    /// - `model.gpt2` always (training and decoding), as an HF folder;
    /// - `data.dataset` always (training captions and evaluation references);
    /// - `model.clip` when an embedding store the run uses is not there yet (it will be computed): the
    ///   training store and `eval_image` always, `eval_text` when gap statistics, alignments, the mixup
    ///   sweep or `decode.align` use text embeddings;
    /// - `data.images` when an image store must be computed (`eval_image`, or `train` under modality image);
    /// - `model.init` when set (a folder with `model.safetensors`);
    /// - `data.attributes` when set (a world's `attributes.json`).
    public func missingPaths(relativeTo base: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> [ManifestError] {
        let fm = FileManager.default
        func url(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path) }
        func exists(_ path: String, folder: Bool) -> Bool {
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: url(path).path, isDirectory: &isFolder) && isFolder.boolValue == folder
        }
        func storeMissing(_ path: String?) -> Bool { path.map { !exists($0, folder: false) } ?? true }

        var problems: [ManifestError] = []
        func checkpoint(_ key: String, _ path: String) {
            guard exists(path, folder: true) else {
                problems.append(.missingPath(key: key, path: path, hint: Self.checkpointHint(key: key, path: path)))
                return
            }
            let absent = checkpointFiles.filter { !exists(path + "/" + $0, folder: false) }
            if !absent.isEmpty {
                problems.append(.missingPath(key: key, path: path + "/" + absent.joined(separator: ", "),
                                             hint: Self.checkpointHint(key: key, path: path)))
            }
        }

        let textUsed = gap.stats || !gap.align.isEmpty || !gap.mixup.lambdas.isEmpty || decode.align != nil
        let trainStoreMissing = storeMissing(embeddings.train)
        let imageStoreMissing = storeMissing(embeddings.evalImage) || (train.modality == .image && trainStoreMissing)
        let clipNeeded = trainStoreMissing || imageStoreMissing || (textUsed && storeMissing(embeddings.evalText))

        if !exists(data.dataset, folder: false) {
            problems.append(.missingPath(key: "data.dataset", path: data.dataset, hint: Self.datasetHint(data.dataset)))
        }
        if imageStoreMissing, !exists(data.images, folder: true) {
            problems.append(.missingPath(key: "data.images", path: data.images, hint: Self.imagesHint(data.images)))
        }
        if let attributes = data.attributes, !exists(attributes, folder: false) {
            problems.append(.missingPath(key: "data.attributes", path: attributes,
                hint: Self.worldHint(attributes) ?? "data.attributes names a world's attributes.json (clipcap world generate writes it); set it to one or to null"))
        }
        if clipNeeded { checkpoint("model.clip", model.clip) }
        checkpoint("model.gpt2", model.gpt2)
        if let start = model.initCheckpoint, !exists(start + "/model.safetensors", folder: false) {
            problems.append(.missingPath(key: "model.init", path: start + "/model.safetensors",
                hint: "model.init names a ClipCap checkpoint folder (model.safetensors, optionally clipcap.json); train one or set model.init: null"))
        }
        return problems
    }

    /// The download for the conventional folder names (`models/clip-vit-base-patch32`, `models/gpt2`).
    static func checkpointHint(key: String, path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let files = "(\(checkpointFiles.joined(separator: ", ")))"
        if name.hasPrefix("clip-vit-") {
            return "download openai/\(name) from Hugging Face into \(path) \(files)"
        }
        if ["gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "distilgpt2"].contains(name) {
            let repo = name == "distilgpt2" ? "distilbert/distilgpt2" : "openai-community/\(name)"
            return "download \(repo) from Hugging Face into \(path) \(files)"
        }
        let kind = key == "model.clip" ? "CLIP" : "GPT-2"
        return "\(key) must be a Hugging Face \(kind) folder \(files)"
    }

    /// The Karpathy split JSONs by their usual names; any other dataset is the user's own file.
    static func datasetHint(_ path: String) -> String {
        if let world = worldHint(path) { return world }
        let name = (path as NSString).lastPathComponent
        if ["dataset_coco.json", "dataset_flickr30k.json", "dataset_flickr8k.json"].contains(name) {
            return "download the Karpathy split JSON (caption_datasets.zip from https://cs.stanford.edu/people/karpathy/deepimagesent/) and put \(name) at \(path)"
        }
        return "data.dataset must be a Karpathy split JSON, a COCO captions JSON, a Flickr token file, or a CSV/JSONL of captions"
    }

    /// For a file of a generated world (a folder named `world`, as in the demo manifests): how to generate it.
    static func worldHint(_ path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        guard (folder as NSString).lastPathComponent == "world" else { return nil }
        return "generate the built-in world first: clipcap world generate --out \(folder) --images 10000 --seed 0 (scripts/demo.sh does this)"
    }

    /// The image sets by their usual folder names.
    static func imagesHint(_ path: String) -> String {
        if let world = worldHint(path + "/dataset.json") { return world }
        if path.contains("coco") {
            return "download the COCO 2014 images (train2014.zip and val2014.zip from https://cocodataset.org) and unzip them into \(path) (train2014/, val2014/)"
        }
        if path.contains("flickr30k") {
            return "download the Flickr30k images (flickr30k-images) into \(path)"
        }
        return "data.images must be the folder the dataset's image paths are relative to"
    }
}
