// preprocessor_config.json parsing.
import Foundation
import Imaging
import TestSupport
import Testing

@Suite("Preprocessor config")
struct ConfigTests {
    @Test func publishedCLIPConfigParses() throws {
        // openai/clip-vit-base-patch32's file: int size and crop_size, extra keys.
        let config = try CLIPImageProcessorConfig.load(modelFolder: ImageFixtures.configFolder("default"))
        #expect(config == .default)
        #expect(config.size == .shortestEdge(224) && config.cropHeight == 224 && config.cropWidth == 224)
        #expect(config.resample == .bicubic && config.rescaleFactor == 1.0 / 255.0)
    }

    @Test func dictionaryFormsParse() throws {
        let crop64 = try CLIPImageProcessorConfig.load(modelFolder: ImageFixtures.configFolder("crop64"))
        #expect(crop64.size == .shortestEdge(64) && crop64.cropHeight == 64 && crop64.cropWidth == 64)
        let exact = try CLIPImageProcessorConfig.load(modelFolder: ImageFixtures.configFolder("exact"))
        #expect(exact.size == .exact(height: 50, width: 70) && exact.cropHeight == 40 && exact.cropWidth == 64)
        #expect(exact.imageMean == [0.5, 0.4, 0.3] && exact.imageStd == [0.25, 0.2, 0.3] && exact.resample == .bilinear)
        let pad = try CLIPImageProcessorConfig.load(modelFolder: ImageFixtures.configFolder("pad"))
        #expect(pad.size == .shortestEdge(40) && pad.cropHeight == 64 && pad.cropWidth == 56)
    }

    @Test func flagsScalarsAndRoundTrip() throws {
        let json = """
        {"do_resize": false, "do_center_crop": false, "do_rescale": false, "do_normalize": false,
         "do_convert_rgb": false, "rescale_factor": 0.5, "image_mean": 0.5, "image_std": [1, 2, 4],
         "size": null, "processor_class": "CLIPProcessor"}
        """
        let config = try CLIPImageProcessorConfig.parse(Data(json.utf8))
        #expect(!config.doResize && !config.doCenterCrop && !config.doRescale && !config.doNormalize && !config.doConvertRGB)
        #expect(config.rescaleFactor == 0.5 && config.imageMean == [0.5, 0.5, 0.5] && config.imageStd == [1, 2, 4])
        #expect(config.size == .shortestEdge(224))
        let again = try CLIPImageProcessorConfig.parse(try JSONEncoder().encode(config))
        #expect(again == config)
        // No resize, no crop, no rescale, no normalize: the raw samples as floats, CHW.
        let image = RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        #expect(try CLIPImageProcessor(config: config).preprocess(image).scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func configsBuiltInCodeAreChecked() {
        var config = CLIPImageProcessorConfig.default
        config.imageMean = [0.5, 0.5]
        #expect(throws: ImageError.invalidConfig(file: "<config>", reason: "image_mean: expected 3 values (R, G, B), got 2")) {
            _ = try CLIPImageProcessor(config: config)
        }
        config = .default
        config.cropWidth = 0
        #expect(throws: ImageError.self) { _ = try CLIPImageProcessor(config: config) }
    }

    @Test func missingFileMeansDefaults() throws {
        let folder = ImageFixtures.directory  // no preprocessor_config.json here
        #expect(try CLIPImageProcessorConfig.load(modelFolder: folder) == .default)
    }

    @Test(arguments: [
        ("{\"size\": 224,", "not JSON"),
        ("[1, 2]", "not an object"),
        ("{\"size\": \"big\"}", "wrong type"),
        ("{\"size\": {\"longest_edge\": 300, \"shortest_edge\": 200}}", "longest_edge"),
        ("{\"size\": {\"height\": 10}}", "incomplete size"),
        ("{\"crop_size\": {\"width\": 10}}", "incomplete crop"),
        ("{\"crop_size\": 0}", "zero crop"),
        ("{\"image_mean\": [0.5, 0.5]}", "two means"),
        ("{\"image_std\": [0.5, 0, 0.5]}", "zero std"),
        ("{\"do_resize\": \"yes\"}", "string flag"),
        ("{\"resample\": 0}", "nearest"),
    ])
    func malformedConfigThrows(_ json: String, _ why: String) {
        do {
            _ = try CLIPImageProcessorConfig.parse(Data(json.utf8), name: "bad/preprocessor_config.json")
            Issue.record("accepted \(why): \(json)")
        } catch {
            guard case .invalidConfig(let file, _) = error else { Issue.record("\(why): \(error)"); return }
            #expect(file == "bad/preprocessor_config.json")
            #expect(!error.description.contains("\n"), "\(error)")
        }
    }
}
