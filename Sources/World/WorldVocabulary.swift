/// The words of the world: every synonym the caption writer may use, and so every word the attribute
/// parser accepts. One table serves both, so a caption the world writes is always parsed back to its scene.
public enum WorldVocabulary {
    /// Nouns for each shape; the first is the plain name.
    public static let shapes: [Shape: [String]] = [
        .circle: ["circle", "disk", "disc"],
        .square: ["square", "box"],
        .triangle: ["triangle"],
        .star: ["star"],
        .hexagon: ["hexagon"],
        .diamond: ["diamond", "rhombus"],
    ]

    /// Adjectives for each colour.
    public static let colours: [Colour: [String]] = [
        .red: ["red", "crimson"],
        .orange: ["orange"],
        .yellow: ["yellow"],
        .green: ["green"],
        .blue: ["blue"],
        .purple: ["purple", "violet"],
        .white: ["white"],
        .black: ["black"],
    ]

    /// Adjectives for each size.
    public static let sizes: [ObjectSize: [String]] = [
        .small: ["small", "little", "tiny"],
        .large: ["large", "big"],
    ]

    /// Phrases that put the object before them in `relation` to the object after them:
    /// "A to the left of B" means A is left of B.
    public static let relationPhrases: [Relation: [String]] = [
        .leftOf: ["to the left of", "left of", "on the left of"],
        .rightOf: ["to the right of", "right of", "on the right of"],
        .above: ["above", "over"],
        .below: ["below", "under", "beneath"],
    ]

    /// Phrases that follow an object and refer back to the one before it: "B, and A on its left"
    /// means A is left of B.
    public static let pronounPhrases: [Relation: [String]] = [
        .leftOf: ["on its left", "to its left"],
        .rightOf: ["on its right", "to its right"],
        .above: ["above it", "over it"],
        .below: ["below it", "under it", "beneath it"],
    ]

    /// Words swapped when a caption is read on the image mirrored left–right, and top–bottom ("beneath" has no
    /// opposite of its own: "A beneath B" mirrored is "A above B").
    static let horizontalMirror = ["left": "right", "right": "left"]
    static let verticalMirror = ["above": "below", "below": "above", "over": "under", "under": "over",
                                 "beneath": "above", "top": "bottom", "bottom": "top"]

    /// `caption` as it reads on the image's mirror (the mirror twins of `clipcap pretrain clip`): flipped
    /// left–right with "left" and "right" swapped when the caption says either; else top–bottom with the
    /// vertical words swapped when it says one; else left–right, unchanged (nothing it says moves).
    /// Everything but the swapped words is kept as written.
    public static func mirrored(_ caption: String) -> (caption: String, horizontal: Bool) {
        let said = Set(words(caption))
        let horizontal = !said.isDisjoint(with: horizontalMirror.keys) || said.isDisjoint(with: verticalMirror.keys)
        let table = horizontal ? horizontalMirror : verticalMirror
        return (replacingWords(in: caption) { table[$0] }, horizontal)
    }

    /// `text` with each word (a run of ASCII letters and digits, as written) for which `replacement` gives a
    /// string replaced by it; everything else is kept as written.
    static func replacingWords(in text: String, _ replacement: (String) -> String?) -> String {
        var out = "", word = ""
        func flush() { out += replacement(word) ?? word; word = "" }
        for ch in text {
            if ch.isASCII && (ch.isLetter || ch.isNumber) { word.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        return out
    }

    /// Lowercased words of `text`: runs of ASCII letters and digits, everything else separates. This is
    /// also the `tokens` list of the Karpathy JSON (Karpathy's files hold lowercased words, no punctuation).
    public static func words(_ text: String) -> [String] {
        var words: [String] = [], current: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            default:
                if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)); current.removeAll() }
            }
        }
        if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }

    /// word → meaning, for the parser.
    static let shapeOfWord: [String: Shape] = inverted(shapes)
    static let colourOfWord: [String: Colour] = inverted(colours)

    /// (phrase words, relation, is a pronoun phrase), longest first so "to the left of" wins over "left of".
    static let phrases: [(words: [String], relation: Relation, pronoun: Bool)] = {
        var all: [(words: [String], relation: Relation, pronoun: Bool)] = []
        for relation in Relation.allCases {
            for p in relationPhrases[relation] ?? [] { all.append((words(p), relation, false)) }
            for p in pronounPhrases[relation] ?? [] { all.append((words(p), relation, true)) }
        }
        return all.sorted { $0.words.count > $1.words.count }
    }()

    private static func inverted<T>(_ table: [T: [String]]) -> [String: T] {
        var out: [String: T] = [:]
        for (meaning, words) in table { for w in words { out[w] = meaning } }
        return out
    }
}
