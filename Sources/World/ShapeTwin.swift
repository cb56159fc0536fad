import Tensor

/// The shape twin of a scene (the shape twins of `clipcap pretrain clip`): the same scene with the shapes of
/// two objects swapped, or with one object's shape replaced by a shape the scene lacks, and every caption
/// rewritten to match. Colours, sizes, places and background stay, so an image and its twin differ only in
/// which shape stands where: a contrastive batch holding both asks each tower to bind a shape to its object,
/// which random scenes never do (they are told apart by the sets of shapes and colours alone).
public struct ShapeTwin: Equatable, Sendable {
    /// Old shape → new shape, for the objects that change (each such shape is on exactly one object).
    public var mapping: [Shape: Shape]
    public var scene: Scene

    /// The twin of `scene` drawn from `rng`, nil when no object's shape is its own in the scene (every shape
    /// on two objects or more). With two objects or more of shapes of their own, a swap of two of them
    /// (drawn uniformly) two times in three, else a replacement; one object of its own shape is replaced by
    /// a shape drawn uniformly from those the scene lacks.
    public static func draw(_ scene: Scene, _ rng: inout SeededRNG) -> ShapeTwin? {
        let own = scene.objects.indices.filter { i in scene.objects.filter { $0.shape == scene.objects[i].shape }.count == 1 }
        guard !own.isEmpty else { return nil }
        var mapping: [Shape: Shape] = [:]
        if own.count >= 2 && rng.uniform() < 2.0 / 3 {
            let a = own[below(&rng, own.count)]
            let rest = own.filter { $0 != a }
            let b = rest[below(&rng, rest.count)]
            let (sa, sb) = (scene.objects[a].shape, scene.objects[b].shape)
            mapping = [sa: sb, sb: sa]
        } else {
            let a = own[below(&rng, own.count)]
            let absent = Shape.allCases.filter { s in !scene.objects.contains { $0.shape == s } }
            guard !absent.isEmpty else { return nil }
            mapping = [scene.objects[a].shape: absent[below(&rng, absent.count)]]
        }
        var twin = scene
        for i in twin.objects.indices { twin.objects[i].shape = mapping[twin.objects[i].shape] ?? twin.objects[i].shape }
        return ShapeTwin(mapping: mapping, scene: twin)
    }

    private static func below(_ rng: inout SeededRNG, _ n: Int) -> Int { min(Int(rng.uniform() * Double(n)), n - 1) }

    /// `caption` as it reads on the twin: every shape word of a changed shape becomes the new shape's plain
    /// name; everything else is kept as written. (No shape word begins with a vowel, so "a"/"an" stay right.)
    public func caption(_ caption: String) -> String {
        WorldVocabulary.replacingWords(in: caption) { word in
            WorldVocabulary.shapeOfWord[word.lowercased()].flatMap { mapping[$0] }.map { WorldVocabulary.shapes[$0]![0] }
        }
    }
}
