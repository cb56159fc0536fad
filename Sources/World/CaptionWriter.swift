import Tensor

/// Writes true captions of a scene: each from a different template, with synonyms drawn from
/// `WorldVocabulary`, so the captions of one image are paraphrases of the same facts.
///
/// One-object scenes are described by the object, optionally with its size, its region of the image
/// (by thirds: "in the top left corner", "near the bottom") or the kind of background. Scenes with a
/// relation always state it between the first two objects, and name the one on the left (for a left–right
/// relation) or on top (for an above–below one) first: "A to the left of B", "A is above B", or with a
/// pronoun ("there is A, and B on its right", "A with B below it"). A third object is mentioned after that,
/// without a relation.
///
/// The fixed order of mention is a convention of the world: with both orders ("A left of B" beside "B right
/// of A") the small captioner learned to bind the relation word to the object it named first only after 6000
/// training steps, too many for the main job (README, "What it took").
public struct CaptionWriter: Sendable {
    /// Captions per image.
    public let count: Int

    public init(count: Int = 5) { self.count = count }

    /// `count` captions, each from a distinct template (when there are at least `count` templates).
    public func captions(of scene: Scene, _ rng: inout SeededRNG) -> [String] {
        let templates = scene.relation == nil ? Self.singleTemplates : Self.relationTemplates
        var order = Array(templates.indices)
        // Fisher–Yates with our generator, so the choice is reproducible.
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return (0..<count).map { k in templates[order[k % order.count]](scene, &rng) }
    }

    typealias Template = (Scene, inout SeededRNG) -> String

    static let prefixes = ["an image showing", "a picture of", "a photo of", "an image of"]
    static let backgroundWords: [BackgroundKind: [String]] = [
        .solid: ["plain", "flat"], .gradient: ["gradient", "shaded"], .noise: ["textured", "mottled"],
    ]

    static let singleTemplates: [Template] = [
        { s, rng in phrase(s.objects[0], &rng) },
        { s, rng in "there is " + phrase(s.objects[0], &rng) },
        { s, rng in choose(prefixes, &rng) + " " + phrase(s.objects[0], &rng) },
        { s, rng in phrase(s.objects[0], &rng) + " " + region(s.objects[0], &rng) },
        { s, rng in
            let o = phrase(s.objects[0], &rng)
            return o + " on " + article(choose(backgroundWords[s.background.kind] ?? ["plain"], &rng)) + " background"
        },
        { s, rng in "a single " + phrase(s.objects[0], &rng, article: false) },
        { s, rng in choose(prefixes, &rng) + " " + phrase(s.objects[0], &rng) + " " + region(s.objects[0], &rng) },
    ]

    static let relationTemplates: [Template] = [
        { s, rng in leading(s, &rng) + third(s, &rng) },
        { s, rng in choose(prefixes, &rng) + " " + leading(s, &rng) + third(s, &rng) },
        { s, rng in "there is " + leading(s, &rng) + third(s, &rng) },
        { s, rng in leading(s, &rng, verb: "is ") + third(s, &rng) },
        { s, rng in "there is " + phrase(ordered(s).first, &rng) + ", and " + pronoun(s, &rng) + third(s, &rng) },
        { s, rng in phrase(ordered(s).first, &rng) + " with " + pronoun(s, &rng) + third(s, &rng) },
        { s, rng in choose(prefixes, &rng) + " " + phrase(ordered(s).first, &rng) + " with " + pronoun(s, &rng) + third(s, &rng) },
    ]

    /// The related pair in the order captions name it, the left or upper object first, with the first's
    /// relation to the second (left of, or above).
    static func ordered(_ s: Scene) -> (first: WorldObject, second: WorldObject, relation: Relation) {
        switch s.relation! {
        case .leftOf, .above: return (s.objects[0], s.objects[1], s.relation!)
        case .rightOf, .below: return (s.objects[1], s.objects[0], s.relation!.inverse)
        }
    }

    /// "A <relation> B" (or "A is <relation> B" with `verb` "is "), A the left or upper object.
    static func leading(_ s: Scene, _ rng: inout SeededRNG, verb: String = "") -> String {
        let (first, second, relation) = ordered(s)
        let a = phrase(first, &rng), r = choose(WorldVocabulary.relationPhrases[relation]!, &rng)
        return a + " " + verb + r + " " + phrase(second, &rng)
    }

    /// "B on its right", to follow a mention of A, A the left or upper object.
    static func pronoun(_ s: Scene, _ rng: inout SeededRNG) -> String {
        let (_, second, relation) = ordered(s)
        return phrase(second, &rng) + " " + choose(WorldVocabulary.pronounPhrases[relation.inverse]!, &rng)
    }

    /// The third object, when there is one, after the related pair.
    static func third(_ s: Scene, _ rng: inout SeededRNG) -> String {
        guard s.objects.count > 2 else { return "" }
        let c = phrase(s.objects[2], &rng)
        switch rng.next() % 3 {
        case 0: return ", and also " + c
        case 1: return ", and " + c + " elsewhere"
        default: return ", plus " + c
        }
    }

    /// "a [size] colour shape", with synonyms; the size is said half of the time.
    static func phrase(_ o: WorldObject, _ rng: inout SeededRNG, article withArticle: Bool = true) -> String {
        let colour = choose(WorldVocabulary.colours[o.colour]!, &rng)
        let shape = choose(WorldVocabulary.shapes[o.shape]!, &rng)
        let size = rng.uniform() < 0.5 ? choose(WorldVocabulary.sizes[o.size]!, &rng) + " " : ""
        let words = size + colour + " " + shape
        return withArticle ? article(words) : words
    }

    /// "a …" or "an …" by the next word's first letter.
    static func article(_ words: String) -> String {
        (words.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + words
    }

    /// Where the object's centre lies, by thirds of the image.
    static func region(_ o: WorldObject, _ rng: inout SeededRNG) -> String {
        let column = min(Int(o.x * 3), 2), row = min(Int(o.y * 3), 2)
        let names = [
            ["in the top left corner", "near the top", "in the top right corner"],
            ["on the left side", rng.uniform() < 0.5 ? "in the centre" : "in the middle", "on the right side"],
            ["in the bottom left corner", "near the bottom", "in the bottom right corner"],
        ]
        return names[row][column]
    }
}
