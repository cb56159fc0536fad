import Data
import Foundation

/// What a caption says about a world scene, as the attribute parser reads it.
public struct ParsedCaption: Equatable, Sendable {
    /// An object the caption names: a shape word, with the nearest colour word before it in the same
    /// phrase (nil when there is none).
    public struct Mention: Equatable, Sendable {
        public var shape: Shape
        public var colour: Colour?
    }

    /// "subject is `relation` of object".
    public struct Statement: Equatable, Sendable {
        public var subject: Mention
        public var relation: Relation
        public var object: Mention
    }

    /// The objects named, in order.
    public var mentions: [Mention]
    /// The first relation stated between two named objects, if any.
    public var statement: Statement?

    /// Parses `caption` with every synonym of `WorldVocabulary` (words are lowercased; punctuation separates).
    ///
    /// A relation phrase ("to the left of", "above", "under", …) makes the last object named before it
    /// the subject and the first named after it the object. A pronoun phrase ("on its left", "above it")
    /// makes the last object named before it the subject and the one named before that the object
    /// ("there is a blue square, and a red circle on its left": the circle is left of the square).
    public init(_ caption: String) {
        let words = WorldVocabulary.words(caption)
        var mentions: [Mention] = []
        // (relation, pronoun?, mentions named before the phrase)
        var phrases: [(Relation, Bool, Int)] = []
        var colour: Colour? = nil
        var i = 0
        scan: while i < words.count {
            for p in WorldVocabulary.phrases where i + p.words.count <= words.count
                && words[i..<(i + p.words.count)].elementsEqual(p.words) {
                phrases.append((p.relation, p.pronoun, mentions.count))
                colour = nil
                i += p.words.count
                continue scan
            }
            if let shape = WorldVocabulary.shapeOfWord[words[i]] {
                mentions.append(Mention(shape: shape, colour: colour))
                colour = nil
            } else if let c = WorldVocabulary.colourOfWord[words[i]] {
                colour = c
            }
            i += 1
        }
        self.mentions = mentions
        statement = nil
        for (relation, pronoun, before) in phrases {
            if pronoun, before >= 2 {
                statement = Statement(subject: mentions[before - 1], relation: relation, object: mentions[before - 2])
            } else if !pronoun, before >= 1, before < mentions.count {
                statement = Statement(subject: mentions[before - 1], relation: relation, object: mentions[before])
            }
            if statement != nil { break }
        }
    }
}

/// One image's verdict.
public struct AttributeVerdict: Equatable, Sendable {
    public var shape: Bool
    public var colour: Bool
    /// nil for scenes without a relation.
    public var relation: Bool?
    /// All that is required for the scene is right.
    public var correct: Bool
}

/// The attribute accuracy of captions of a generated world: the fraction of images whose caption names
/// the right shapes, colours and relation, parsed against `attributes.json`. It sits beside the COCO
/// metrics and, unlike them, needs no reference captions.
///
/// What is required, per image:
/// - **One-object scene**: the first object the caption names has the object's shape and colour, and
///   the caption states no relation (it would be about objects that are not there).
/// - **Scene with two or three objects**: the caption names two objects related by a relation phrase
///   (or, with no relation phrase, its first two named objects are taken with no relation). They are
///   matched to the ordered pair of distinct scene objects that agrees on most of their shapes and colours
///   (ties: the scene's related pair in the caption's order, then swapped, then the other pairs in index
///   order), so a caption may relate any two of three objects: which pair the reference captions relate
///   cannot be seen in the image. Shape is right when both shapes match, colour when both colours match,
///   and the relation when it holds between the matched objects (`holds`): for the scene's related pair
///   that is its relation R ("B right of A" is as right as "A left of B"; "B left of A" is wrong). With
///   fewer than two named objects all three are wrong.
/// Size, and the object a caption does not relate, are not scored.
///
/// `attributeAccuracy` is the fraction of images with all required parts right; `shapeAccuracy` and
/// `colourAccuracy` are over all images, `relationAccuracy` over the images with a relation (nil when
/// there are none).
public struct AttributeScores: Equatable, Sendable {
    public var attributeAccuracy: Double
    public var shapeAccuracy: Double
    public var colourAccuracy: Double
    public var relationAccuracy: Double?
    /// Images scored.
    public var images: Int
    /// Of those, images whose scene has a relation.
    public var relationImages: Int

    /// The fractions over `verdicts` (at least one).
    public init(_ verdicts: [AttributeVerdict]) {
        let n = Double(verdicts.count)
        func fraction(_ ok: (AttributeVerdict) -> Bool) -> Double { Double(verdicts.filter(ok).count) / n }
        let related = verdicts.compactMap(\.relation)
        attributeAccuracy = fraction(\.correct)
        shapeAccuracy = fraction(\.shape)
        colourAccuracy = fraction(\.colour)
        relationAccuracy = related.isEmpty ? nil : Double(related.filter { $0 }.count) / Double(related.count)
        images = verdicts.count
        relationImages = related.count
    }

    /// CSV header and row (DESIGN.md §4): attribute_accuracy, shape_accuracy, colour_accuracy,
    /// relation_accuracy (left out when not computed), images.
    public var csv: (header: [String], row: [String]) {
        var header = ["attribute_accuracy", "shape_accuracy", "colour_accuracy"]
        var row = [attributeAccuracy, shapeAccuracy, colourAccuracy].map { String($0) }
        if let relationAccuracy { header.append("relation_accuracy"); row.append(String(relationAccuracy)) }
        header.append("images"); row.append(String(images))
        return (header, row)
    }
}

/// Scores captions against a world's ground truth (see `AttributeScores` for the rules).
public enum AttributeAccuracy {
    /// The verdict for one caption of the image with `truth`.
    public static func verdict(caption: String, truth: WorldAttributes.Image) -> AttributeVerdict {
        let parsed = ParsedCaption(caption)
        let objects = truth.objects
        guard let relation = truth.relation, objects.count >= 2 else {
            let first = parsed.mentions.first
            let shape = first?.shape == objects.first?.shape
            let colour = first != nil && first?.colour == objects.first?.colour
            return AttributeVerdict(shape: shape, colour: colour, relation: nil,
                                    correct: shape && colour && parsed.statement == nil)
        }
        let pair: (ParsedCaption.Mention, ParsedCaption.Mention, Relation?)
        if let s = parsed.statement {
            pair = (s.subject, s.object, s.relation)
        } else if parsed.mentions.count >= 2 {
            pair = (parsed.mentions[0], parsed.mentions[1], nil)
        } else {
            return AttributeVerdict(shape: false, colour: false, relation: false, correct: false)
        }
        let (a, b, stated) = pair
        func agreement(_ x: ParsedCaption.Mention, _ y: ParsedCaption.Mention, _ p: Int, _ q: Int) -> Int {
            [x.shape == objects[p].shape, x.colour == objects[p].colour,
             y.shape == objects[q].shape, y.colour == objects[q].colour].filter { $0 }.count
        }
        // ordered pairs by preference: the related pair as written, swapped, then the others
        var candidates = [(0, 1), (1, 0)]
        for p in objects.indices { for q in objects.indices where p != q && !(p < 2 && q < 2) { candidates.append((p, q)) } }
        var best = candidates[0], bestScore = agreement(a, b, 0, 1)
        for c in candidates.dropFirst() {
            let score = agreement(a, b, c.0, c.1)
            if score > bestScore { best = c; bestScore = score }
        }
        let (p, q) = best
        let shape = a.shape == objects[p].shape && b.shape == objects[q].shape
        let colour = a.colour == objects[p].colour && b.colour == objects[q].colour
        let relationRight: Bool
        switch (p, q) {
        case (0, 1): relationRight = stated == relation
        case (1, 0): relationRight = stated == relation.inverse
        default: relationRight = stated.map { holds($0, objects[p], objects[q]) } ?? false
        }
        return AttributeVerdict(shape: shape, colour: colour, relation: relationRight,
                                correct: shape && colour && relationRight)
    }

    /// Whether "`a` `relation` `b`" is true of the centres (y grows downwards): `a` is on that side of `b`
    /// along the relation's axis by at least as much as it is off across it. The sampler places a scene's
    /// related pair well inside this rule (offset across at most half the distance along), so for that
    /// pair it agrees with the stored relation.
    public static func holds(_ relation: Relation, _ a: WorldObject, _ b: WorldObject) -> Bool {
        let along: Double, across: Double
        switch relation {
        case .leftOf: along = b.x - a.x; across = b.y - a.y
        case .rightOf: along = a.x - b.x; across = b.y - a.y
        case .above: along = b.y - a.y; across = b.x - a.x
        case .below: along = a.y - b.y; across = b.x - a.x
        }
        return along > 0 && abs(across) <= along
    }

    /// Scores `results` (image id, caption), each image at most once, against `attributes`.
    /// `resultsFile` names the results in errors.
    public static func score(_ results: [(imageId: ItemID, caption: String)], attributes: WorldAttributes,
                             resultsFile: String) throws -> AttributeScores {
        AttributeScores(try verdicts(results, attributes: attributes, resultsFile: resultsFile))
    }

    /// The verdict for each of `results`, in order. Throws for an image the attributes do not describe, an
    /// image captioned twice, or no results, naming `resultsFile`.
    public static func verdicts(_ results: [(imageId: ItemID, caption: String)], attributes: WorldAttributes,
                                resultsFile: String) throws -> [AttributeVerdict] {
        var truthById: [Int: WorldAttributes.Image] = [:]
        for image in attributes.images { truthById[image.imgid] = image }
        var seen = Set<Int>()
        let out = try results.map { (id, caption) in
            guard case .int(let imgid) = id, let truth = truthById[imgid] else {
                throw WorldError.unknownImage(file: resultsFile, imageId: id.description)
            }
            guard seen.insert(imgid).inserted else {
                throw WorldError.malformed(file: resultsFile, reason: "image \(imgid) has more than one caption")
            }
            return verdict(caption: caption, truth: truth)
        }
        guard !results.isEmpty else { throw WorldError.malformed(file: resultsFile, reason: "no results") }
        return out
    }
}
