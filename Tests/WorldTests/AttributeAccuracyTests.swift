import Data
import Foundation
import Testing
@testable import World

@Suite struct AttributeAccuracyTests {
    static let background = Background(kind: .solid, colour: [120, 120, 120], colour2: [120, 120, 120], angle: 0, noiseSeed: 0)

    static func object(_ shape: Shape, _ colour: Colour, x: Double, y: Double) -> WorldObject {
        WorldObject(shape: shape, colour: colour, size: .small, x: x, y: y, paint: [0, 0, 0])
    }

    /// Image 0: a red circle left of a blue square (and a green star). Image 1: a yellow triangle alone.
    /// Image 2: a purple hexagon above a white diamond.
    static let attributes = WorldAttributes(config: WorldConfig(), seed: 0, images: [
        .init(imgid: 0, filename: "00000.png", split: "test", scene: Scene(
            objects: [object(.circle, .red, x: 0.2, y: 0.5), object(.square, .blue, x: 0.7, y: 0.5), object(.star, .green, x: 0.5, y: 0.15)],
            relation: .leftOf, background: background)),
        .init(imgid: 1, filename: "00001.png", split: "test", scene: Scene(
            objects: [object(.triangle, .yellow, x: 0.5, y: 0.5)], relation: nil, background: background)),
        .init(imgid: 2, filename: "00002.png", split: "test", scene: Scene(
            objects: [object(.hexagon, .purple, x: 0.5, y: 0.2), object(.diamond, .white, x: 0.5, y: 0.75)],
            relation: .above, background: background)),
    ])

    func verdict(_ caption: String, image: Int = 0) -> AttributeVerdict {
        AttributeAccuracy.verdict(caption: caption, truth: Self.attributes.images[image])
    }

    @Test func correctCaptionsInEveryForm() {
        for caption in [
            "a red circle to the left of a blue square",
            "A blue square to the right of a red circle.",          // inverted, capitals, punctuation
            "there is a blue square, and a red circle on its left", // pronoun
            "a big crimson disc left of a small blue box, and also a green star",  // synonyms, third object
            "a blue square with a red circle to its left",
        ] {
            let v = verdict(caption)
            #expect(v == AttributeVerdict(shape: true, colour: true, relation: true, correct: true), "\(caption): \(v)")
        }
        #expect(verdict("a violet hexagon over a white rhombus", image: 2).correct)
        #expect(verdict("a white diamond beneath a purple hexagon", image: 2).correct)
        #expect(verdict("a little yellow triangle in the top left corner", image: 1).correct)
    }

    @Test func wrongCaptions() {
        // Wrong colour of the second object: shape and relation stay right.
        #expect(verdict("a red circle to the left of a green square")
                == AttributeVerdict(shape: true, colour: false, relation: true, correct: false))
        // Swapped relation: the objects are matched in swapped order, where "left of" should be "right of".
        #expect(verdict("a blue square to the left of a red circle")
                == AttributeVerdict(shape: true, colour: true, relation: false, correct: false))
        #expect(verdict("there is a red circle, and a blue square on its left")
                == AttributeVerdict(shape: true, colour: true, relation: false, correct: false))
        // Wrong relation axis.
        #expect(verdict("a red circle above a blue square").relation == false)
        // Wrong shape.
        #expect(verdict("a red star to the left of a blue square")
                == AttributeVerdict(shape: false, colour: true, relation: true, correct: false))
        // Both objects named, no relation.
        #expect(verdict("a red circle and a blue square")
                == AttributeVerdict(shape: true, colour: true, relation: false, correct: false))
        // One object named for a two-object scene.
        #expect(verdict("a red circle") == AttributeVerdict(shape: false, colour: false, relation: false, correct: false))
        // A colourless shape.
        #expect(verdict("a triangle", image: 1) == AttributeVerdict(shape: true, colour: false, relation: nil, correct: false))
        // A relation stated for a one-object scene.
        #expect(verdict("a yellow triangle above a red square", image: 1)
                == AttributeVerdict(shape: true, colour: true, relation: nil, correct: false))
        #expect(verdict("an orange triangle", image: 1) == AttributeVerdict(shape: true, colour: false, relation: nil, correct: false))
    }

    @Test func anyPairOfThreeObjectsMayBeRelated() {
        // Image 0's green star (0.5, 0.15) is above both the red circle (0.2, 0.5) and the blue square
        // (0.7, 0.5): more up than across. Which pair the reference captions relate cannot be seen.
        for caption in ["a green star above a red circle", "a red circle below a green star",
                        "there is a blue square, and a green star over it", "a green star above a blue square, plus a red circle"] {
            #expect(verdict(caption) == AttributeVerdict(shape: true, colour: true, relation: true, correct: true), "\(caption)")
        }
        #expect(verdict("a green star to the right of a red circle")      // 0.3 across is less than 0.35 up
                == AttributeVerdict(shape: true, colour: true, relation: false, correct: false))
        #expect(verdict("a green star below a blue square").relation == false)
        #expect(verdict("a green star above a purple square")              // matched to the square, wrong colour
                == AttributeVerdict(shape: true, colour: false, relation: true, correct: false))
        // A shape the scene lacks is still matched to the pair that agrees most, and is wrong.
        #expect(verdict("a green hexagon above a red circle").shape == false)
        let a = Self.object(.circle, .red, x: 0.2, y: 0.5), b = Self.object(.square, .blue, x: 0.7, y: 0.5)
        #expect(AttributeAccuracy.holds(.leftOf, a, b) && AttributeAccuracy.holds(.rightOf, b, a))
        #expect(!AttributeAccuracy.holds(.above, a, b) && !AttributeAccuracy.holds(.rightOf, a, b))
    }

    @Test func parserReadsMentionsAndStatements() {
        let parsed = ParsedCaption("there is a big blue box, and a crimson disk on its left")
        #expect(parsed.mentions == [.init(shape: .square, colour: .blue), .init(shape: .circle, colour: .red)])
        #expect(parsed.statement == .init(subject: .init(shape: .circle, colour: .red), relation: .leftOf,
                                          object: .init(shape: .square, colour: .blue)))
        // "to the left of" is read whole, not as "left of" after stray words.
        #expect(ParsedCaption("a star to the left of a circle").statement?.relation == .leftOf)
        #expect(ParsedCaption("a star under it").statement == nil)  // a pronoun with nothing to refer to
    }

    @Test func scoresAndCSV() throws {
        let results: [(imageId: ItemID, caption: String)] = [
            (.int(0), "a blue square to the right of a red circle"),  // right
            (.int(1), "a yellow star"),                               // wrong shape
            (.int(2), "a purple hexagon below a white diamond"),      // wrong relation
        ]
        let scores = try AttributeAccuracy.score(results, attributes: Self.attributes, resultsFile: "r.json")
        #expect(scores.images == 3 && scores.relationImages == 2)
        #expect(abs(scores.attributeAccuracy - 1.0 / 3) < 1e-12)
        #expect(abs(scores.shapeAccuracy - 2.0 / 3) < 1e-12)
        #expect(scores.colourAccuracy == 1)
        #expect(scores.relationAccuracy == 0.5)
        #expect(scores.csv.header == ["attribute_accuracy", "shape_accuracy", "colour_accuracy", "relation_accuracy", "images"])
        #expect(scores.csv.row[3] == "0.5" && scores.csv.row[4] == "3")
        // Only one-object images: no relation accuracy, and its column is left out.
        let single = try AttributeAccuracy.score([(.int(1), "a yellow triangle")], attributes: Self.attributes, resultsFile: "r.json")
        #expect(single.relationAccuracy == nil && single.attributeAccuracy == 1)
        #expect(single.csv.header == ["attribute_accuracy", "shape_accuracy", "colour_accuracy", "images"])
        #expect(throws: WorldError.unknownImage(file: "r.json", imageId: "7")) {
            try AttributeAccuracy.score([(.int(7), "a red circle")], attributes: Self.attributes, resultsFile: "r.json")
        }
        #expect(throws: WorldError.self) {
            try AttributeAccuracy.score([(.int(1), "a"), (.int(1), "b")], attributes: Self.attributes, resultsFile: "r.json")
        }
    }

    @Test func attributesFileRoundTrips() throws {
        let url = try tempFolder().appendingPathComponent("attributes.json")
        try Self.attributes.encoded().write(to: url)
        #expect(try WorldAttributes.read(url) == Self.attributes)
        try Data(#"{"images": [{"imgid": 0}]}"#.utf8).write(to: url)
        #expect(throws: WorldError.self) { try WorldAttributes.read(url) }
    }
}
