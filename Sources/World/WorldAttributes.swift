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

extension WorldAttributes.Image {
    /// Classes of `warmStartLabels`: the relation of the scene's related pair read in a fixed order of the
    /// two objects, by colour then shape (Colour/Shape declaration order; on a tie, as stored), so the class
    /// is what the image shows, whichever object the sampler put first.
    public static let warmStartClasses = Relation.allCases.count
    /// Flags of `warmStartLabels`: one per shape, then one per colour.
    public static let warmStartFlags = Shape.allCases.count + Colour.allCases.count
    /// Flags of `bindingLabels`: one per (shape, colour) pair, shape-major.
    public static let bindingFlags = Shape.allCases.count * Colour.allCases.count

    /// Which (shape, colour) pairs the scene holds, as 0/1 flags in shape-major order (`bindingFlags` of them):
    /// the binding of each colour to its shape, which the sets of shapes and colours of `warmStartLabels` leave
    /// open (a red square and a blue circle have the flags of a blue square and a red circle). Order-free, so
    /// the same for an image and each of its captions (`clipcap pretrain clip --binding-flags`).
    public var bindingLabels: [Float] {
        var flags = [Float](repeating: 0, count: Self.bindingFlags)
        for o in objects { flags[Self.bindingIndex(o)] = 1 }
        return flags
    }

    /// The flag of `o`'s (shape, colour) pair in `bindingLabels`.
    static func bindingIndex(_ o: WorldObject) -> Int {
        Shape.allCases.firstIndex(of: o.shape)! * Colour.allCases.count + Colour.allCases.firstIndex(of: o.colour)!
    }

    /// The supervised warm start's targets for this image (`clipcap pretrain clip --warm-start-steps`): the
    /// index in Relation.allCases of the ordered relation (nil for one object; for the image tower also nil
    /// with three objects, where the picture does not show which two the stored relation is about), and 0/1
    /// flags for which shapes and which colours appear.
    public func warmStartLabels(image: Bool) -> (relation: Int?, flags: [Float]) {
        let flags = Shape.allCases.map { s in objects.contains { $0.shape == s } ? Float(1) : 0 }
            + Colour.allCases.map { c in objects.contains { $0.colour == c } ? Float(1) : 0 }
        guard let relation, objects.count >= 2, !image || objects.count == 2 else { return (nil, flags) }
        func key(_ o: WorldObject) -> (Int, Int) {
            (Colour.allCases.firstIndex(of: o.colour)!, Shape.allCases.firstIndex(of: o.shape)!)
        }
        let ordered = key(objects[1]) < key(objects[0]) ? relation.inverse : relation
        return (Relation.allCases.firstIndex(of: ordered)!, flags)
    }
}
