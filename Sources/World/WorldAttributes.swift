import Data
import Foundation

/// `attributes.json`: the ground truth of every image of a generated world, for scoring captions.
///
///     {"config": {...}, "seed": 7, "images": [{"imgid": 0, "filename": "00000.png", "split": "train",
///       "objects": [{"shape": "circle", "colour": "red", "size": "small", "x": 0.31, "y": 0.52,
///                    "paint": [210, 40, 33]}, ...],
///       "relation": "left_of", "background": {...}}, ...]}
///
/// `relation` (absent for one-object scenes) is that of `objects[0]` to `objects[1]`; `imgid` is the
/// image id of `dataset.json` and so of results files.
public struct WorldAttributes: Codable, Equatable, Sendable {
    /// One image's ground truth.
    public struct Image: Codable, Equatable, Sendable {
        public var imgid: Int
        public var filename: String
        public var split: String
        public var objects: [WorldObject]
        public var relation: Relation?
        public var background: Background

        public init(imgid: Int, filename: String, split: String, scene: Scene) {
            self.imgid = imgid; self.filename = filename; self.split = split
            objects = scene.objects; relation = scene.relation; background = scene.background
        }

        /// The scene this image shows.
        public var scene: Scene { Scene(objects: objects, relation: relation, background: background) }
    }

    public var config: WorldConfig
    public var seed: UInt64
    public var images: [Image]

    public init(config: WorldConfig, seed: UInt64, images: [Image]) {
        self.config = config; self.seed = seed; self.images = images
    }

    /// Reads an attributes file, naming it in every error.
    public static func read(_ url: URL) throws -> WorldAttributes {
        let bytes = try TextFiles.read(url)
        do {
            return try JSONDecoder().decode(WorldAttributes.self, from: bytes)
        } catch let error as DecodingError {
            throw WorldError.malformed(file: url.path, reason: "not a world attributes file: \(Self.describe(error))")
        }
    }

    /// The JSON text: sorted keys, so equal worlds give equal bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}
