import Experiments
import Foundation
import Imaging
import Models
import Tensor
import Testing
import TestSupport
import Tokenizers

/// The shipped world models (Experiments/world, made by scripts/train_world.sh) against transformers, from
/// Tests/Fixtures/gen_world.py: the tokenizers' ids exactly; the image pipeline (our PNG decoder and CLIP
/// preprocessing, then the vision tower), the text tower, CLIP's logits and GPT-2's logits within the issue's
/// 1e-4 (absolute, plus 1e-5 relative for logits, whose magnitudes reach about 10).
@Suite struct WorldCheckpointTests {
    static let repository = fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let models = repository.appendingPathComponent("Experiments/world")
    static let fixture = fixturesDirectory.appendingPathComponent("world")
    static let atol = 1e-4, rtol = 1e-5

    struct Golden: Decodable {
        var images: [String]
        var captions: [String]
        var clip_ids: [[Int]]
        var gpt2_ids: [[Int]]
        var logit_scale: Double
    }

    func golden() throws -> (Golden, SafeTensorsFile) {
        let json = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("golden.json")))
        return (json, try SafeTensorsFile(path: Self.fixture.appendingPathComponent("golden.safetensors").path))
    }

    @Test func tokenizersMatchTransformers() throws {
        let (g, _) = try golden()
        let clip = try CLIPTokenizer(directory: Self.models.appendingPathComponent("clip"))
        let gpt2 = try GPT2Tokenizer(directory: Self.models.appendingPathComponent("gpt2"))
        #expect(g.captions.map { clip.encode($0) } == g.clip_ids)
        #expect(g.captions.map { gpt2.encode($0) } == g.gpt2_ids)
    }

    @Test func clipMatchesTransformers() throws {
        let (g, ref) = try golden()
        let folder = Self.models.appendingPathComponent("clip")
        let model = try CLIPModel(folder: folder)
        // images: PNG → pixels → embeddings, as `clipcap embed image` runs them
        let paths = g.images.map { Self.fixture.appendingPathComponent("images/\($0)").path }
        let processor = try CLIPImageProcessor(modelFolder: folder)
        let pixels = try CLIPEmbedder.pixels(paths, processor: processor, size: model.config.visionConfig.imageSize)
        expectClose(pixels.scalars, try ref.tensor("pixel_values").scalars, atol: 1e-5, rtol: 0, "pixel values")
        let images = try CLIPEmbedder.images(paths, model: model, clipFolder: folder, batchSize: 2)
        expectClose(images.scalars, try ref.tensor("image_embeds").scalars, atol: Self.atol, rtol: Self.rtol, "image embeds")
        // captions, as `clipcap embed text` runs them
        let tokenizer = try CLIPTokenizer(directory: folder)
        let texts = try CLIPEmbedder.captions(g.captions, model: model.text, tokenizer: tokenizer,
                                              projectionDim: model.config.projectionDim, batchSize: 3)
        expectClose(texts.scalars, try ref.tensor("text_embeds").scalars, atol: Self.atol, rtol: Self.rtol, "text embeds")
        // logits_per_image = exp(logit_scale) · cos(image, text)
        let d = model.config.projectionDim, n = g.images.count, m = g.captions.count
        #expect(abs(Foundation.exp(Double(model.logitScale[flat: 0])) - g.logit_scale) < 1e-4 * g.logit_scale)
        var logits: [Float] = []
        for i in 0..<n {
            for j in 0..<m {
                var dot = 0.0, a = 0.0, b = 0.0
                for k in 0..<d {
                    let x = Double(images[flat: i * d + k]), y = Double(texts[flat: j * d + k])
                    dot += x * y; a += x * x; b += y * y
                }
                logits.append(Float(g.logit_scale * dot / (a * b).squareRoot()))
            }
        }
        expectClose(logits, try ref.tensor("logits_per_image").scalars, atol: Self.atol, rtol: Self.rtol, "logits per image")
        // each test image's own caption (captions 0-2 describe images 0-2) scores highest among them
        for i in 0..<n { #expect((0..<m).max { logits[i * m + $0] < logits[i * m + $1] } == i, "image \(i)") }
    }

    @Test func gpt2MatchesTransformers() throws {
        let (_, ref) = try golden()
        let model = try GPT2(folder: Self.models.appendingPathComponent("gpt2"))
        let (shape, ids) = try ref.integers("gpt2_input_ids")
        let logits = try model.logits(prefix: nil, ids: ids.map { Int32($0) }, batch: shape[0], tokens: shape[1])
        expectClose(logits.scalars, try ref.tensor("gpt2_logits").scalars, atol: Self.atol, rtol: Self.rtol, "gpt2 logits")
    }
}
