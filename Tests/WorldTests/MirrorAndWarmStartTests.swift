import Foundation
import Testing
@testable import World

/// The world's side of the relation recipe of `clipcap pretrain clip`: captions read on mirrored images, and
/// the warm start's targets.
@Suite struct MirrorAndWarmStartTests {
    @Test func mirroredCaptionsSwapTheWordsOfTheirAxis() {
        #expect(WorldVocabulary.mirrored("a red circle to the left of a blue square") == ("a red circle to the right of a blue square", true))
        #expect(WorldVocabulary.mirrored("a blue square, and a red circle on its right.") == ("a blue square, and a red circle on its left.", true))
        // one object by thirds: the corner words of both axes, flipped left–right
        #expect(WorldVocabulary.mirrored("a star in the top left corner") == ("a star in the top right corner", true))
        #expect(WorldVocabulary.mirrored("a star near the top") == ("a star near the bottom", false))
        #expect(WorldVocabulary.mirrored("a hexagon over a diamond") == ("a hexagon under a diamond", false))
        #expect(WorldVocabulary.mirrored("a hexagon beneath a diamond") == ("a hexagon above a diamond", false))
        #expect(WorldVocabulary.mirrored("a disc in the centre") == ("a disc in the centre", true))
        // words are matched whole: "overall" is not "over"
        #expect(WorldVocabulary.mirrored("overall a square above it") == ("overall a square below it", false))
    }

    /// Every sampled caption's mirror is parsed back to the mirrored scene's relation.
    @Test func mirroredCaptionsDescribeTheMirroredScene() {
        var checked = 0
        for (scene, captions) in SceneTests.samples {
            guard let relation = scene.relation, scene.objects.count == 2 else { continue }
            var flipped = scene
            flipped.relation = relation.inverse
            let truth = WorldAttributes.Image(imgid: 0, filename: "", split: "test", scene: flipped)
            for caption in captions {
                let (mirror, horizontal) = WorldVocabulary.mirrored(caption)
                #expect(horizontal == (relation == .leftOf || relation == .rightOf))
                #expect(AttributeAccuracy.verdict(caption: mirror, truth: truth).relation == true, "\(caption) → \(mirror)")
                checked += 1
            }
        }
        #expect(checked > 100)
    }

    @Test func warmStartLabelsReadTheRelationInAFixedObjectOrder() {
        let images = AttributeAccuracyTests.attributes.images
        // image 2: a purple hexagon above a white diamond; purple comes before white, so "above" as stored
        let (relation, flags) = images[2].warmStartLabels(image: true)
        #expect(relation == Relation.allCases.firstIndex(of: .above))
        #expect(flags.count == WorldAttributes.Image.warmStartFlags && flags.reduce(0, +) == 4)
        #expect(flags[Shape.allCases.firstIndex(of: .hexagon)!] == 1 && flags[6 + Colour.allCases.firstIndex(of: .white)!] == 1)
        // the same picture stored with the objects the other way round gives the same class
        var swapped = images[2]
        swapped.objects.reverse(); swapped.relation = .below
        #expect(swapped.warmStartLabels(image: true).relation == relation)
        // image 0 has three objects: the text tower gets the class (red before blue: left_of), the image tower none
        #expect(images[0].warmStartLabels(image: false).relation == Relation.allCases.firstIndex(of: .leftOf))
        #expect(images[0].warmStartLabels(image: true).relation == nil)
        #expect(images[1].warmStartLabels(image: false).relation == nil)
    }

    @Test func bindingLabelsFlagEachShapeWithItsColour() {
        let image = AttributeAccuracyTests.attributes.images[2]   // a purple hexagon above a white diamond
        let flags = image.bindingLabels
        func flag(_ s: Shape, _ c: Colour) -> Float {
            flags[Shape.allCases.firstIndex(of: s)! * Colour.allCases.count + Colour.allCases.firstIndex(of: c)!]
        }
        #expect(flags.count == WorldAttributes.Image.bindingFlags && flags.reduce(0, +) == 2)
        #expect(flag(.hexagon, .purple) == 1 && flag(.diamond, .white) == 1)
        // the same shapes and colours bound the other way round: the presence flags agree, the binding flags do not
        var rebound = image
        (rebound.objects[0].colour, rebound.objects[1].colour) = (image.objects[1].colour, image.objects[0].colour)
        #expect(rebound.warmStartLabels(image: true).flags == image.warmStartLabels(image: true).flags)
        #expect(rebound.bindingLabels != flags && rebound.bindingLabels.reduce(0, +) == 2)
        #expect(rebound.bindingLabels[Shape.allCases.firstIndex(of: .hexagon)! * Colour.allCases.count + Colour.allCases.firstIndex(of: .white)!] == 1)
    }
}
