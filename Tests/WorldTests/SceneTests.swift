import Foundation
import Imaging
import Tensor
import Testing
import TestSupport
@testable import World

@Suite struct SceneTests {
    static let config = WorldConfig()
    /// 2,000 scenes with their captions, from one seed.
    static let samples = (0..<2000).map { WorldGenerator(seed: 99).sample(image: $0) }

    @Test func scenesAreValid() {
        var counts = [0, 0, 0], shapes = Set<Shape>(), colours = Set<Colour>(), relations = Set<Relation>()
        var backgrounds = Set<BackgroundKind>()
        for (scene, _) in Self.samples {
            counts[scene.objects.count - 1] += 1
            #expect((scene.relation == nil) == (scene.objects.count == 1))
            backgrounds.insert(scene.background.kind)
            for (i, o) in scene.objects.enumerated() {
                shapes.insert(o.shape); colours.insert(o.colour)
                let r = Self.config.radius(o.size)
                #expect(o.x - r >= 0 && o.x + r <= 1 && o.y - r >= 0 && o.y + r <= 1, "object outside the image: \(o)")
                let nominal = o.colour.rgb
                for (p, n) in zip(o.paint, [nominal.r, nominal.g, nominal.b]) { #expect(abs(Int(p) - Int(n)) <= 12) }
                for other in scene.objects[..<i] {
                    #expect(!(other.shape == o.shape && other.colour == o.colour), "two objects of one kind")
                    let d = ((o.x - other.x) * (o.x - other.x) + (o.y - other.y) * (o.y - other.y)).squareRoot()
                    #expect(d >= r + Self.config.radius(other.size), "objects overlap")
                }
            }
            if let relation = scene.relation {
                relations.insert(relation)
                let a = scene.objects[0], b = scene.objects[1]
                let (along, across): (Double, Double)
                switch relation {
                case .leftOf: (along, across) = (b.x - a.x, b.y - a.y)
                case .rightOf: (along, across) = (a.x - b.x, b.y - a.y)
                case .above: (along, across) = (b.y - a.y, b.x - a.x)
                case .below: (along, across) = (a.y - b.y, b.x - a.x)
                }
                #expect(along > 0 && abs(across) <= 0.5 * along, "\(relation) is not unmistakable: \(a) \(b)")
            }
        }
        #expect(shapes.count == 6 && colours.count == 8 && relations.count == 4 && backgrounds.count == 3)
        // Weights 1:2:2 for 1, 2, 3 objects; a third object that does not fit is dropped, so 3 is rarer.
        #expect(abs(Double(counts[0]) / 2000 - 0.2) < 0.03, "\(counts)")
        #expect(counts[1] + counts[2] == 2000 - counts[0] && counts[2] > 500, "\(counts)")
    }

    @Test func everyCaptionIsParsedBackToItsScene() {
        var words = Set<String>()
        for (index, (scene, captions)) in Self.samples.enumerated() {
            #expect(captions.count == 5)
            #expect(Set(captions).count == 5, "repeated captions: \(captions)")
            let truth = WorldAttributes.Image(imgid: index, filename: "", split: "test", scene: scene)
            if let relation = scene.relation {   // the metric's geometric rule agrees with every sampled relation
                #expect(AttributeAccuracy.holds(relation, scene.objects[0], scene.objects[1]), "\(scene.objects) \(relation)")
            }
            for caption in captions {
                words.formUnion(WorldVocabulary.words(caption))
                let v = AttributeAccuracy.verdict(caption: caption, truth: truth)
                #expect(v.correct, "'\(caption)' is not read as true of \(scene.objects) \(String(describing: scene.relation))")
                // The left or upper object of the related pair is named first.
                if let relation = scene.relation {
                    let first = ParsedCaption(caption).mentions[0]
                    let lead = [.leftOf, .above].contains(relation) ? scene.objects[0] : scene.objects[1]
                    #expect(first.shape == lead.shape && first.colour == lead.colour, "'\(caption)' names \(first) first")
                }
            }
        }
        // Synonyms are in use.
        for synonym in ["disk", "disc", "box", "rhombus", "crimson", "violet", "little", "big", "beneath", "on its right", "over it"] {
            #expect(synonym.split(separator: " ").allSatisfy { words.contains(String($0)) }, "\(synonym) never used")
        }
    }

    @Test func centresLieOnThePositionGrid() throws {
        // Default: every centre on the 8-px grid of a 64-px image (the shipped CLIP's patches).
        let onGrid = { (o: WorldObject, grid: Double) in
            abs((o.x * 64 / grid).rounded() - o.x * 64 / grid) < 1e-9 && abs((o.y * 64 / grid).rounded() - o.y * 64 / grid) < 1e-9
        }
        #expect(Self.samples.allSatisfy { $0.scene.objects.allSatisfy { onGrid($0, 8) } })
        // 4 px: on that grid, and half of the centres off the 8-px one.
        var four = WorldConfig()
        four.positionGrid = 4
        let fours = (0..<300).flatMap { WorldGenerator(config: four, seed: 99).sample(image: $0).scene.objects }
        #expect(fours.allSatisfy { onGrid($0, 4) })
        let offEight = Double(fours.filter { !onGrid($0, 8) }.count) / Double(fours.count)
        #expect(offEight > 0.4, "\(offEight)")
        // 0: anywhere.
        var free = WorldConfig()
        free.positionGrid = 0
        let frees = (0..<100).flatMap { WorldGenerator(config: free, seed: 99).sample(image: $0).scene.objects }
        #expect(frees.filter { onGrid($0, 4) }.count < 5)
        // A world written before the grid existed reads back as continuous.
        let old = #"{"image_size": 64, "small_radius": 0.11, "large_radius": 0.18, "colour_jitter": 12, "object_count_weights": [1, 2, 2], "margin": 0.03}"#
        #expect(try JSONDecoder().decode(WorldConfig.self, from: Data(old.utf8)).positionGrid == 0)
    }

    @Test func pngRoundTripsThroughTheDecoder() throws {
        var rng = SeededRNG(seed: 4)
        // Random pixels (incompressible, odd width) and a rendered scene both come back exactly.
        let noise = (0..<(37 * 23 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let decodedNoise = try ImageDecoder.decode(PNGEncoder.encode(rgb: noise, width: 37, height: 23))
        #expect(decodedNoise == RGBImage(width: 37, height: 23, pixels: noise))
        let scene = Self.samples[1].scene
        let pixels = Rasterizer().render(scene)
        let png = try PNGEncoder.encode(rgb: pixels, width: 64, height: 64)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try ImageDecoder.decode(png).pixels == pixels)
        #expect(try PNGEncoder.encode(rgb: pixels, width: 64, height: 64) == png)
        #expect(throws: WorldError.self) { try PNGEncoder.encode(rgb: pixels, width: 63, height: 64) }
    }

    /// One object on a solid background, so each pixel's coverage can be read back from its value.
    func coverage(of shape: Shape, size: ObjectSize = .large, side: Int = 64) -> (total: Double, partial: Int) {
        var config = WorldConfig()
        config.imageSize = side
        let background = Background(kind: .solid, colour: [100, 100, 100], colour2: [100, 100, 100], angle: 0, noiseSeed: 0)
        let object = WorldObject(shape: shape, colour: .white, size: size, x: 0.5, y: 0.5, paint: [250, 250, 250])
        let pixels = Rasterizer(config: config).render(Scene(objects: [object], relation: nil, background: background))
        var total = 0.0, partial = 0
        for i in stride(from: 0, to: pixels.count, by: 3) {
            let c = (Double(pixels[i]) - 100) / 150
            total += c
            if c > 0.02 && c < 0.98 { partial += 1 }
        }
        return (total, partial)
    }

    @Test func shapesAreAntiAliasedWithTheRightArea() {
        let r = 0.18 * 64
        // Exact areas of the drawn geometry, in pixels: the supersampled coverage sums to them within
        // 2.5%. Ordered 4×4 sampling is biased where an edge runs along a diagonal of the sample grid
        // (the diamond comes out 1.8% large, the triangle 1.3%).
        let areas: [Shape: Double] = [
            .circle: Double.pi * (0.92 * r) * (0.92 * r),
            .square: (1.6 * r) * (1.6 * r),
            .diamond: 2 * r * r,
            .triangle: 3 * 3.squareRoot() / 4 * r * r,
            .hexagon: 3 * 3.squareRoot() / 2 * r * r,
            // Ten triangles centre–inner–outer: ½·R·ρR·sin(36°) each.
            .star: 10 * 0.5 * r * (0.45 * r) * sin(Double.pi / 5),
        ]
        for (shape, area) in areas {
            let (total, partial) = coverage(of: shape)
            #expect(abs(total - area) / area < 0.025, "\(shape): coverage \(total) vs area \(area)")
            #expect(partial >= 8, "\(shape): only \(partial) edge pixels are blended")
        }
        // Coverage scales with the side squared.
        #expect(coverage(of: .circle, side: 128).total / coverage(of: .circle).total > 3.9)
    }

    @Test func backgroundsVary() {
        let rasterizer = Rasterizer()
        var seen = Set<[UInt8]>()
        for (scene, _) in Self.samples.prefix(60) {
            let empty = Scene(objects: [], relation: nil, background: scene.background)
            let pixels = rasterizer.render(empty)
            let distinct = Set(stride(from: 0, to: pixels.count, by: 3).map { Array(pixels[$0..<($0 + 3)]) })
            switch scene.background.kind {
            case .solid: #expect(distinct.count == 1)
            case .gradient, .noise: #expect(distinct.count > 1)
            }
            for value in pixels { #expect((60...200).contains(value), "background value \(value) is not muted") }
            seen.insert(Array(pixels.prefix(3)))
        }
        #expect(seen.count > 40)
    }
}
