import Tensor

/// The knobs of the world. Defaults give 64×64 images of 1–3 objects.
public struct WorldConfig: Codable, Equatable, Sendable {
    /// Image side in pixels (images are square).
    public var imageSize: Int = 64
    /// Circumradius of a small / large object, in units of the image side.
    public var smallRadius: Double = 0.11
    public var largeRadius: Double = 0.18
    /// Largest per-channel offset of an object's paint from its colour's nominal RGB.
    public var colourJitter: Int = 12
    /// Relative frequency of scenes with 1, 2 and 3 objects.
    public var objectCountWeights: [Double] = [1, 2, 2]
    /// Gap kept between objects and between an object and the border, in units of the image side.
    public var margin: Double = 0.03
    /// Object centres lie on a grid of this many pixels (0: anywhere). A grid matched to a ViT's patches
    /// shows each shape to the patch embedding as one of a few pixel patterns, which a small tower trained
    /// on a CPU learns; at arbitrary sub-patch offsets it learns colour but not shape.
    public var positionGrid: Int = WorldConfig.defaultGrid(imageSize: 64)

    /// The default grid for images of `side` pixels: an eighth of the side, 8 px at 64 (the shipped CLIP's patch).
    public static func defaultGrid(imageSize side: Int) -> Int { side / 8 }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", smallRadius = "small_radius", largeRadius = "large_radius",
             colourJitter = "colour_jitter", objectCountWeights = "object_count_weights", margin,
             positionGrid = "position_grid"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        smallRadius = try c.decode(Double.self, forKey: .smallRadius)
        largeRadius = try c.decode(Double.self, forKey: .largeRadius)
        colourJitter = try c.decode(Int.self, forKey: .colourJitter)
        objectCountWeights = try c.decode([Double].self, forKey: .objectCountWeights)
        margin = try c.decode(Double.self, forKey: .margin)
        positionGrid = try c.decodeIfPresent(Int.self, forKey: .positionGrid) ?? 0   // worlds written before the grid
    }

    /// The circumradius of an object of `size`, in units of the image side.
    public func radius(_ size: ObjectSize) -> Double { size == .small ? smallRadius : largeRadius }
}

/// Draws scenes from a seeded generator. Each scene consumes the generator in a fixed order, so a seed
/// fixes the scene; the world generator gives every image its own generator (seed, index) so images
/// can be drawn in parallel and still be the same.
public struct SceneSampler: Sendable {
    public let config: WorldConfig

    public init(config: WorldConfig = WorldConfig()) { self.config = config }

    /// A scene drawn from `rng`.
    public func sample(_ rng: inout SeededRNG) -> Scene {
        let background = sampleBackground(&rng)
        let count = 1 + pick(config.objectCountWeights, &rng)
        // Distinct (shape, colour) pairs, so a caption's "the red circle" names one object.
        var kinds: [(Shape, Colour)] = []
        while kinds.count < count {
            let kind = (choose(Shape.allCases, &rng), choose(Colour.allCases, &rng))
            if !kinds.contains(where: { $0 == kind }) { kinds.append(kind) }
        }
        var sizes = kinds.map { _ in rng.uniform() < 0.5 ? ObjectSize.small : .large }
        func object(_ i: Int, _ x: Double, _ y: Double) -> WorldObject {
            WorldObject(shape: kinds[i].0, colour: kinds[i].1, size: sizes[i], x: x, y: y,
                        paint: jitter(kinds[i].1, &rng))
        }
        if count == 1 {
            let r = config.radius(sizes[0])
            let (x, y) = (coordinate(r, &rng), coordinate(r, &rng))
            return Scene(objects: [object(0, x, y)], relation: nil, background: background)
        }
        let relation = choose(Relation.allCases, &rng)
        var placed: (Double, Double, Double, Double)? = nil
        // Two large objects always fit side by side at the default radii; shrinking is the fallback
        // for configurations where they do not.
        for attempt in 0..<400 {
            if attempt == 200 { sizes[0] = .small; sizes[1] = .small }
            if let p = placePair(relation, config.radius(sizes[0]), config.radius(sizes[1]), &rng) { placed = p; break }
        }
        guard let (x0, y0, x1, y1) = placed else {
            // Even two small objects do not fit: draw the first alone rather than break the relation.
            return Scene(objects: [object(0, 0.5, 0.5)], relation: nil, background: background)
        }
        var objects = [object(0, x0, y0), object(1, x1, y1)]
        if count == 3 {
            let r = config.radius(sizes[2])
            for _ in 0..<200 {
                let (x, y) = (coordinate(r, &rng), coordinate(r, &rng))
                let clear = objects.allSatisfy { o in
                    let d = ((o.x - x) * (o.x - x) + (o.y - y) * (o.y - y)).squareRoot()
                    return d >= config.radius(o.size) + r + config.margin
                }
                if clear { objects.append(object(2, x, y)); break }
            }
        }
        return Scene(objects: objects, relation: relation, background: background)
    }

    /// Centres for two objects in `relation`, or nil when this draw does not make it unmistakable: along
    /// the relation's axis the objects are apart by more than their radii, and across it they are offset
    /// by at most half that distance.
    private func placePair(_ relation: Relation, _ r0: Double, _ r1: Double, _ rng: inout SeededRNG)
        -> (Double, Double, Double, Double)?
    {
        let (x0, y0, x1, y1) = (coordinate(r0, &rng), coordinate(r0, &rng), coordinate(r1, &rng), coordinate(r1, &rng))
        let along: Double, across: Double
        switch relation {
        case .leftOf: along = x1 - x0; across = y1 - y0
        case .rightOf: along = x0 - x1; across = y1 - y0
        case .above: along = y1 - y0; across = x1 - x0
        case .below: along = y0 - y1; across = x1 - x0
        }
        guard along >= r0 + r1 + config.margin, abs(across) <= 0.5 * along else { return nil }
        return (x0, y0, x1, y1)
    }

    /// A centre coordinate that keeps an object of radius `r` inside the image, with the margin.
    private func coordinate(_ r: Double, _ rng: inout SeededRNG) -> Double {
        let low = r + config.margin, high = 1 - r - config.margin
        let u = high > low ? low + (high - low) * rng.uniform() : 0.5
        guard config.positionGrid > 0 else { return u }
        // the grid point nearest u that keeps the object inside; the nearest one to the centre if none does
        let step = Double(config.positionGrid) / Double(config.imageSize)
        let first = (low / step).rounded(.up), last = (high / step).rounded(.down)
        guard first <= last else { return (0.5 / step).rounded() * step }
        return min(max((u / step).rounded(), first), last) * step
    }

    private func jitter(_ colour: Colour, _ rng: inout SeededRNG) -> [UInt8] {
        let (r, g, b) = colour.rgb
        return [r, g, b].map { c in
            let offset = Int(rng.next() % UInt64(2 * config.colourJitter + 1)) - config.colourJitter
            return UInt8(clamping: Int(c) + offset)
        }
    }

    private func sampleBackground(_ rng: inout SeededRNG) -> Background {
        let kind = choose(BackgroundKind.allCases, &rng)
        let colour = mutedColour(&rng)
        let colour2 = kind == .gradient ? mutedColour(&rng) : colour
        let angle = kind == .gradient ? 2 * Double.pi * rng.uniform() : 0
        let noiseSeed = kind == .noise ? rng.next() : 0
        return Background(kind: kind, colour: colour, colour2: colour2, angle: angle, noiseSeed: noiseSeed)
    }

    /// A grey of lightness 95...165 tinted by up to ±15 per channel: far from white, black and the
    /// saturated object colours.
    private func mutedColour(_ rng: inout SeededRNG) -> [UInt8] {
        let grey = 95 + Int(rng.next() % 71)
        return (0..<3).map { _ in UInt8(grey + Int(rng.next() % 31) - 15) }
    }
}

/// A uniform element of `items`.
func choose<T>(_ items: [T], _ rng: inout SeededRNG) -> T {
    items[Int(rng.next() % UInt64(items.count))]
}

/// An index drawn with probability proportional to `weights`.
func pick(_ weights: [Double], _ rng: inout SeededRNG) -> Int {
    let total = weights.reduce(0, +)
    var u = rng.uniform() * total
    for (i, w) in weights.enumerated() {
        if u < w { return i }
        u -= w
    }
    return weights.count - 1
}
