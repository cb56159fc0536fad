import Foundation
import Tensor

/// Draws scenes as 8-bit RGB, row-major, channels interleaved (`pixels[(y * side + x) * 3 + c]`), the
/// layout `Imaging.RGBImage` holds.
///
/// Shapes are anti-aliased by 4×4 supersampling: a pixel's coverage is the fraction of its 16 sample
/// points (at (i + ½)/4 within the pixel) that fall inside the shape, and the object's paint is blended
/// over the background by that fraction. Shapes are upright; each is a disk or a union of convex
/// polygons (the star is five convex kites around its centre), so a point test is a few half-planes.
public struct Rasterizer: Sendable {
    public let config: WorldConfig

    public init(config: WorldConfig = WorldConfig()) { self.config = config }

    /// The scene's pixels: `imageSize² × 3` bytes.
    public func render(_ scene: Scene) -> [UInt8] {
        var canvas = background(scene.background)  // [side·side·3], 0...255 as Float
        for object in scene.objects { paint(object, on: &canvas) }
        return canvas.map { UInt8(($0 + 0.5).rounded(.down).clamped(0, 255)) }
    }

    // MARK: Background

    private func background(_ b: Background) -> [Float] {
        let side = config.imageSize
        var canvas = [Float](repeating: 0, count: side * side * 3)
        let c0 = b.colour.map(Float.init), c1 = b.colour2.map(Float.init)
        let (dx, dy) = (Float(cos(b.angle)), Float(sin(b.angle)))
        let lattice = b.kind == .noise ? noiseLattice(seed: b.noiseSeed) : []
        for y in 0..<side {
            for x in 0..<side {
                let u = (Float(x) + 0.5) / Float(side), v = (Float(y) + 0.5) / Float(side)
                let o = (y * side + x) * 3
                switch b.kind {
                case .solid:
                    for c in 0..<3 { canvas[o + c] = c0[c] }
                case .gradient:
                    // Projection of the pixel on the direction, mapped so the image spans t ∈ [0, 1].
                    let t = ((u - 0.5) * dx + (v - 0.5) * dy) / (abs(dx) + abs(dy)) + 0.5
                    for c in 0..<3 { canvas[o + c] = c0[c] + (c1[c] - c0[c]) * t }
                case .noise:
                    let n = smoothNoise(lattice, u, v)
                    for c in 0..<3 { canvas[o + c] = c0[c] + n }
                }
            }
        }
        return canvas
    }

    /// The noise lattice: (cells + 1)² offsets in −18...18 (grey levels), seeded.
    private static let noiseCells = 4
    private func noiseLattice(seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        let n = Self.noiseCells + 1
        return (0..<(n * n)).map { _ in Float(rng.uniform() * 36 - 18) }
    }

    /// Bilinear interpolation of the lattice at (u, v) ∈ [0, 1]².
    private func smoothNoise(_ lattice: [Float], _ u: Float, _ v: Float) -> Float {
        let cells = Self.noiseCells, n = cells + 1
        let fx = u * Float(cells), fy = v * Float(cells)
        let ix = min(Int(fx), cells - 1), iy = min(Int(fy), cells - 1)
        let tx = fx - Float(ix), ty = fy - Float(iy)
        let a = lattice[iy * n + ix], b = lattice[iy * n + ix + 1]
        let c = lattice[(iy + 1) * n + ix], d = lattice[(iy + 1) * n + ix + 1]
        return (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
    }

    // MARK: Shapes

    /// A half-plane a·x + b·y ≤ c in pixel coordinates.
    struct HalfPlane { var a, b, c: Double }

    /// A shape in pixel coordinates: a disk, or a union of convex polygons given by their half-planes.
    enum Geometry {
        case disk(cx: Double, cy: Double, r: Double)
        case polygons([[HalfPlane]])

        func contains(_ x: Double, _ y: Double) -> Bool {
            switch self {
            case .disk(let cx, let cy, let r):
                return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r
            case .polygons(let parts):
                return parts.contains { planes in planes.allSatisfy { $0.a * x + $0.b * y <= $0.c } }
            }
        }
    }

    /// The half-planes of a convex polygon whose vertices run clockwise on screen (y down).
    static func convex(_ points: [(Double, Double)]) -> [HalfPlane] {
        (0..<points.count).map { i in
            let (x0, y0) = points[i], (x1, y1) = points[(i + 1) % points.count]
            // Outward normal of a clockwise-on-screen edge is (−(y1−y0), x1−x0) rotated: (y0−y1, x1−x0)
            // points inward, so the outward one is its negative.
            let a = y1 - y0, b = x0 - x1
            return HalfPlane(a: a, b: b, c: a * x0 + b * y0)
        }
    }

    /// Vertices at `count` equal angles from `start` (radians, y down), radius `r` around (cx, cy).
    static func ring(_ count: Int, _ cx: Double, _ cy: Double, _ r: Double, start: Double) -> [(Double, Double)] {
        (0..<count).map { k in
            let t = start + 2 * Double.pi * Double(k) / Double(count)
            return (cx + r * cos(t), cy + r * sin(t))
        }
    }

    func geometry(_ object: WorldObject) -> Geometry {
        let side = Double(config.imageSize)
        let cx = object.x * side, cy = object.y * side, r = config.radius(object.size) * side
        let up = -Double.pi / 2  // a vertex straight up
        switch object.shape {
        case .circle:
            return .disk(cx: cx, cy: cy, r: r * 0.92)  // a little smaller: a full-radius disk looks larger than the polygons
        case .square:
            let h = r * 0.8
            return .polygons([Self.convex([(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)])])
        case .diamond:
            return .polygons([Self.convex(Self.ring(4, cx, cy, r, start: up))])
        case .triangle:
            // Equilateral, pointing up, centred on its bounding box rather than its centroid.
            let points = Self.ring(3, cx, cy + r * 0.25, r, start: up)
            return .polygons([Self.convex(points)])
        case .hexagon:
            return .polygons([Self.convex(Self.ring(6, cx, cy, r, start: 0))])
        case .star:
            let outer = Self.ring(5, cx, cy, r, start: up)
            let inner = Self.ring(5, cx, cy, r * 0.45, start: up + Double.pi / 5)
            // Kite k: centre, inner k−1, tip k, inner k (clockwise on screen); each is convex.
            let kites = (0..<5).map { k in
                Self.convex([(cx, cy), inner[(k + 4) % 5], outer[k], inner[k]])
            }
            return .polygons(kites)
        }
    }

    /// Blends the object over `canvas` by its 4×4-supersampled coverage, within its bounding box.
    private func paint(_ object: WorldObject, on canvas: inout [Float]) {
        let side = config.imageSize
        let geometry = geometry(object)
        let r = config.radius(object.size) * Double(side)
        let cx = object.x * Double(side), cy = object.y * Double(side)
        let x0 = max(0, Int((cx - r).rounded(.down)) - 1), x1 = min(side - 1, Int((cx + r).rounded(.up)) + 1)
        let y0 = max(0, Int((cy - r).rounded(.down)) - 1), y1 = min(side - 1, Int((cy + r).rounded(.up)) + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let paint = object.paint.map(Float.init)
        for y in y0...y1 {
            for x in x0...x1 {
                var inside = 0
                for sy in 0..<4 {
                    for sx in 0..<4 {
                        let px = Double(x) + (Double(sx) + 0.5) / 4, py = Double(y) + (Double(sy) + 0.5) / 4
                        if geometry.contains(px, py) { inside += 1 }
                    }
                }
                guard inside > 0 else { continue }
                let coverage = Float(inside) / 16
                let o = (y * side + x) * 3
                for c in 0..<3 { canvas[o + c] += (paint[c] - canvas[o + c]) * coverage }
            }
        }
    }
}

extension Float {
    fileprivate func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(Swift.max(self, low), high) }
}
