import Foundation
import Testing
import Tensor
@testable import World

/// Shape twins (`clipcap pretrain clip --shape-twins`): the scene with shapes swapped or replaced, and its
/// captions rewritten to match.
@Suite struct ShapeTwinTests {
    @Test func captionsRenameTheChangedShapesOnly() {
        let swap = ShapeTwin(mapping: [.diamond: .triangle, .triangle: .diamond], scene: SceneTests.samples[0].scene)
        #expect(swap.caption("a photo of a little green rhombus on the left of a blue Triangle.")
                == "a photo of a little green triangle on the left of a blue diamond.")
        let replace = ShapeTwin(mapping: [.circle: .star], scene: SceneTests.samples[0].scene)
        // every synonym is renamed; words are matched whole ("discs" is not "disc")
        #expect(replace.caption("a disc, a disk and a circle; discs and a square") == "a star, a star and a star; discs and a square")
    }

    /// Over 2000 sampled scenes: every scene with a shape of its own gets a twin that differs from it in the
    /// shapes only, as drawn (two of three multi-object twins are swaps), and every caption of the scene,
    /// rewritten, names only objects of the twin.
    @Test func twinsChangeShapesAndTheirCaptionsDescribeThem() {
        var swaps = 0, replacements = 0, missing = 0
        for (index, (scene, captions)) in SceneTests.samples.enumerated() {
            var rng = SeededRNG(seed: UInt64(index))
            guard let twin = ShapeTwin.draw(scene, &rng) else {
                missing += 1
                #expect(scene.objects.allSatisfy { o in scene.objects.filter { $0.shape == o.shape }.count > 1 })
                continue
            }
            var again = SeededRNG(seed: UInt64(index))
            #expect(ShapeTwin.draw(scene, &again) == twin)   // deterministic
            #expect(twin.scene != scene)
            #expect(twin.scene.relation == scene.relation && twin.scene.background == scene.background)
            for (a, b) in zip(scene.objects, twin.scene.objects) {
                #expect(a.colour == b.colour && a.size == b.size && a.x == b.x && a.y == b.y && a.paint == b.paint)
                #expect(b.shape == (twin.mapping[a.shape] ?? a.shape))
            }
            for old in twin.mapping.keys { #expect(scene.objects.filter { $0.shape == old }.count == 1) }
            if twin.mapping.count == 2 {
                swaps += 1
                #expect(twin.mapping.allSatisfy { twin.mapping[$0.value] == $0.key })
            } else {
                replacements += 1
                #expect(!scene.objects.contains { $0.shape == twin.mapping.first!.value })
            }
            let kinds = twin.scene.objects.map { "\($0.shape) \($0.colour)" }
            for caption in captions {
                let mentions = ParsedCaption(twin.caption(caption)).mentions
                #expect(!mentions.isEmpty)
                for m in mentions where m.colour != nil {
                    #expect(kinds.contains("\(m.shape) \(m.colour!)"), "\(caption) → \(twin.caption(caption))")
                }
            }
        }
        #expect(swaps > 600 && replacements > 600 && missing < 200, "\(swaps) swaps, \(replacements) replacements, \(missing) without")
    }

    /// Rendering a world's scene from attributes.json gives the bytes of its PNG, so a twin is drawn as its
    /// original was.
    @Test func aSceneRendersAsItsImage() throws {
        let world = WorldGenerator(seed: 5)
        let (scene, _) = world.sample(image: 3)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shape-twin-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try world.generate(to: folder, images: 4, val: 1, test: 1)
        let attributes = try WorldAttributes.read(folder.appendingPathComponent("attributes.json"))
        #expect(attributes.images[3].scene == scene)
        let png = try Data(contentsOf: folder.appendingPathComponent("images").appendingPathComponent(attributes.images[3].filename))
        #expect(png == Data(try PNGEncoder.encode(rgb: Rasterizer(config: attributes.config).render(scene), width: 64, height: 64)))
    }
}
