// The scene model of the built-in world: one to three filled shapes on a background, with a spatial
// relation between the first two. Everything a caption may say is a field here, so captions can be
// written from a scene and scored against it.

/// The kinds of shape the world draws. Raw values are the names in `attributes.json`.
public enum Shape: String, CaseIterable, Codable, Sendable {
    case circle, square, triangle, star, hexagon, diamond
}

/// The named colours objects are painted in, each with its nominal RGB. Backgrounds are kept to muted
/// mid-tones (see `Background`) so that every one of these stands out, white and black included.
public enum Colour: String, CaseIterable, Codable, Sendable {
    case red, orange, yellow, green, blue, purple, white, black

    /// The nominal colour; objects are painted within ±`WorldConfig.colourJitter` of it per channel.
    public var rgb: (r: UInt8, g: UInt8, b: UInt8) {
        switch self {
        case .red: return (215, 35, 35)
        case .orange: return (245, 135, 20)
        case .yellow: return (240, 215, 35)
        case .green: return (35, 165, 55)
        case .blue: return (35, 75, 220)
        case .purple: return (135, 45, 185)
        case .white: return (245, 245, 245)
        case .black: return (20, 20, 20)
        }
    }
}

/// How big an object is drawn: its circumradius is `WorldConfig.smallRadius` or `largeRadius` of the side.
public enum ObjectSize: String, CaseIterable, Codable, Sendable {
    case small, large
}

/// Where the first object is with respect to the second. Raw values are the names in `attributes.json`.
public enum Relation: String, CaseIterable, Codable, Sendable {
    case leftOf = "left_of", rightOf = "right_of", above, below

    /// The same fact seen from the other object: A left of B ⇔ B right of A.
    public var inverse: Relation {
        switch self {
        case .leftOf: return .rightOf
        case .rightOf: return .leftOf
        case .above: return .below
        case .below: return .above
        }
    }
}

/// One object of a scene. `x`, `y` are the centre in units of the image side (0 left/top, 1 right/bottom).
public struct WorldObject: Codable, Equatable, Sendable {
    public var shape: Shape
    public var colour: Colour
    public var size: ObjectSize
    public var x: Double
    public var y: Double
    /// The painted colour: the nominal one plus a small seeded jitter, kept so the image can be redrawn.
    public var paint: [UInt8]

    public init(shape: Shape, colour: Colour, size: ObjectSize, x: Double, y: Double, paint: [UInt8]) {
        self.shape = shape; self.colour = colour; self.size = size; self.x = x; self.y = y; self.paint = paint
    }
}

/// The background kinds; all are muted mid-tones (each channel in roughly 80...180).
public enum BackgroundKind: String, CaseIterable, Codable, Sendable {
    /// One colour.
    case solid
    /// A linear blend between two colours along a direction.
    case gradient
    /// A colour plus smooth value noise (a coarse random lattice, bilinearly interpolated).
    case noise
}

/// A background: its kind, colours and the seed of its noise lattice. Enough to redraw it exactly.
public struct Background: Codable, Equatable, Sendable {
    public var kind: BackgroundKind
    /// The base colour (the gradient's start).
    public var colour: [UInt8]
    /// The gradient's end colour (equal to `colour` for the other kinds).
    public var colour2: [UInt8]
    /// The gradient's direction in radians (0: left to right, π/2: top to bottom).
    public var angle: Double
    /// Seeds the noise lattice.
    public var noiseSeed: UInt64

    enum CodingKeys: String, CodingKey {
        case kind, colour, colour2 = "colour_2", angle, noiseSeed = "noise_seed"
    }
}

/// A scene: 1–3 objects in drawing order and, when there are at least two, the relation of
/// `objects[0]` to `objects[1]` ("the first object is left of the second"). The objects' (shape, colour)
/// pairs are distinct and they do not overlap, so every caption names each object unambiguously.
public struct Scene: Codable, Equatable, Sendable {
    public var objects: [WorldObject]
    public var relation: Relation?
    public var background: Background

    public init(objects: [WorldObject], relation: Relation?, background: Background) {
        self.objects = objects; self.relation = relation; self.background = background
    }
}
