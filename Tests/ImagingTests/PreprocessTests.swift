// CLIP preprocessing parity with transformers' CLIPImageProcessor (PIL backend, v5.23).
import Foundation
import Imaging
import Tensor
import TestSupport
import Testing

@Suite("CLIP preprocessing")
struct PreprocessTests {
    struct Expectation: CustomTestStringConvertible {
        let config: String
        let c: ImageManifest.Case
        var testDescription: String { "\(c.file) @ \(config)" }
    }
    static let expectations = ImageFixtures.preprocessCases.map { Expectation(config: $0.0, c: $0.1) }

    /// Requirement: preprocessed pixels within 2/255 of transformers, in [0, 1] units (before
    /// normalization). Achieved: the uint8 pixels are identical (checked first), which makes the
    /// floats equal to the reconstruction of the reference to within float rounding (1e-6).
    static let tolerance01 = 2.0 / 255.0

    @Test(arguments: expectations)
    func matchesTransformers(_ e: Expectation) throws {
        let processor = try CLIPImageProcessor(modelFolder: ImageFixtures.configFolder(e.config))
        let config = processor.config
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url(e.c.file), alpha: processor.alpha)
        let expected = try ImageDecoder.decode(contentsOf: ImageFixtures.expectedURL(e.c.preprocessed[e.config]!))

        // uint8 after resize + crop: bit-exact with Pillow.
        let cropped = processor.resizedAndCropped(image)
        #expect(cropped.width == expected.width && cropped.height == expected.height)
        let byteDiff = maxByteDifference(cropped.pixels, expected.pixels)
        #expect(byteDiff == 0, "\(e.testDescription): max uint8 |diff| \(byteDiff)")

        // Floats, de-normalized back to [0, 1] and compared with u / 255 within 2/255.
        let (h, w) = processor.outputSize(width: image.width, height: image.height)
        #expect(h == expected.height && w == expected.width)
        let pixels = processor.preprocess(image)
        #expect(pixels.shape == [3, h, w])
        let values = pixels.scalars
        var unit = [Double](repeating: 0, count: values.count), reference = unit, exact = [Float](repeating: 0, count: values.count)
        for c in 0..<3 {
            let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
            for i in 0..<(h * w) {
                let u = expected.pixels[3 * i + c]
                unit[c * h * w + i] = Double(values[c * h * w + i]) * config.imageStd[c] + config.imageMean[c]
                reference[c * h * w + i] = Double(u) / 255
                // The reference float, as numpy computes it from u (asserted by the generator).
                exact[c * h * w + i] = (Float(Double(u) * config.rescaleFactor) - mean) / std
            }
        }
        expectClose(unit, reference, atol: Self.tolerance01 + 1e-6, "\(e.testDescription) [0,1] units")
        expectClose(values, exact, atol: 1e-6, "\(e.testDescription) normalized")
    }

    /// One decode + preprocess through the file convenience equals the two-step path.
    @Test func preprocessFileConvenience() throws {
        let processor = CLIPImageProcessor()
        let url = ImageFixtures.url("rgba_120x90.png")
        let viaFile = try processor.preprocess(contentsOf: url)
        let viaImage = processor.preprocess(try ImageDecoder.decode(contentsOf: url, alpha: .compositeOnWhite))
        #expect(viaFile.shape == [3, 224, 224])
        #expect(viaFile.scalars == viaImage.scalars)
    }

    /// The pointer API fills one slot of a batch without touching its neighbours; the batch helper
    /// gives the same values.
    @Test func batchSlotsAndBatchHelper() throws {
        let processor = try CLIPImageProcessor(modelFolder: ImageFixtures.configFolder("crop64"))
        let images = try ["rgb_37x53.jpg", "gray_53x37.png", "rgb_400x30.jpg"].map {
            try ImageDecoder.decode(contentsOf: ImageFixtures.url($0), alpha: .compositeOnWhite)
        }
        var batch = Tensor(zeros: [3, 3, 64, 64])
        let slot = 3 * 64 * 64
        batch.mutableData.update(repeating: .nan, count: batch.count)
        processor.preprocess(images[1], into: batch.mutableData + slot)
        let values = batch.scalars
        #expect(values[0..<slot].allSatisfy { $0.isNaN } && values[(2 * slot)...].allSatisfy { $0.isNaN })
        #expect(Array(values[slot..<(2 * slot)]) == processor.preprocess(images[1]).scalars)

        let all = try processor.preprocessBatch(images)
        #expect(all.shape == [3, 3, 64, 64])
        for (i, image) in images.enumerated() {
            #expect(Array(all.scalars[(i * slot)..<((i + 1) * slot)]) == processor.preprocess(image).scalars)
        }
    }

    @Test func batchWithoutCropRejectsMixedSizes() throws {
        var config = CLIPImageProcessorConfig.default
        config.doCenterCrop = false
        let processor = try CLIPImageProcessor(config: config)
        let a = RGBImage(width: 30, height: 20, pixels: .init(repeating: 9, count: 30 * 20 * 3))
        let b = RGBImage(width: 20, height: 30, pixels: .init(repeating: 9, count: 20 * 30 * 3))
        #expect(processor.outputSize(width: 30, height: 20) == (224, 336))
        #expect(throws: ImageError.batchSizeMismatch(expected: [3, 224, 336], got: [3, 336, 224], index: 1)) {
            _ = try processor.preprocessBatch([a, b])
        }
    }

    /// transformers' output size: int(224 · long / short), truncated, and the short side first.
    @Test func shortestEdgeSizes() throws {
        let p = CLIPImageProcessor()
        var noCrop = CLIPImageProcessorConfig.default
        noCrop.doCenterCrop = false
        let q = try CLIPImageProcessor(config: noCrop)
        #expect(p.outputSize(width: 640, height: 480) == (224, 224))
        #expect(q.outputSize(width: 640, height: 480) == (224, 298))   // 298.67 → 298
        #expect(q.outputSize(width: 480, height: 640) == (298, 224))
        #expect(q.outputSize(width: 500, height: 333) == (224, 336))   // 336.34 → 336
        #expect(q.outputSize(width: 37, height: 53) == (320, 224))     // 320.86 → 320
        #expect(q.outputSize(width: 300, height: 300) == (224, 224))
    }

    /// `resized(width:height:filter:)` equals Pillow's Image.resize for every convolution filter.
    @Test(arguments: ImageFixtures.manifest.resizes)
    func resizeEqualsPillow(_ r: ImageManifest.Resize) throws {
        let source = try ImageDecoder.decode(contentsOf: ImageFixtures.url(r.source))
        let expected = try ImageDecoder.decode(contentsOf: ImageFixtures.expectedURL(r.expected))
        let filter = filtersByName[r.filter]!
        let resized = source.resized(width: r.width, height: r.height, filter: filter)
        let diff = maxByteDifference(resized.pixels, expected.pixels)
        #expect(diff == 0, "\(r.expected): max |diff| \(diff)")
    }

    /// Many target sizes (CRC-32 of Pillow's bytes), including both pass orders and their boundary.
    @Test func resizeSweepEqualsPillow() throws {
        var sources: [String: RGBImage] = [:]
        var mismatches: [String] = []
        for r in ImageFixtures.manifest.resizeSweep {
            if sources[r.source] == nil { sources[r.source] = try ImageDecoder.decode(contentsOf: ImageFixtures.url(r.source)) }
            let resized = sources[r.source]!.resized(width: r.width, height: r.height, filter: filtersByName[r.filter]!)
            if crc32(resized.pixels) != r.crc32 { mismatches.append("\(r.source)→\(r.width)x\(r.height) \(r.filter)") }
        }
        #expect(ImageFixtures.manifest.resizeSweep.count >= 200)
        #expect(mismatches.isEmpty, "\(mismatches.count) resizes differ from Pillow: \(mismatches.prefix(10))")
    }

    /// CLIP preprocessing of sub-images of many sizes under each config (CRC-32 of the uint8 result).
    @Test func clipSweepEqualsTransformers() throws {
        let source = try ImageDecoder.decode(contentsOf: ImageFixtures.url("rgb_200x300.png"))
        var processors: [String: CLIPImageProcessor] = [:]
        var mismatches: [String] = []
        for c in ImageFixtures.manifest.clipSweep {
            if processors[c.config] == nil {
                processors[c.config] = try CLIPImageProcessor(modelFolder: ImageFixtures.configFolder(c.config))
            }
            let out = processors[c.config]!.resizedAndCropped(source.topLeft(width: c.width, height: c.height))
            if out.width != c.outWidth || out.height != c.outHeight || crc32(out.pixels) != c.crc32 {
                mismatches.append("\(c.width)x\(c.height) @ \(c.config)")
            }
        }
        #expect(ImageFixtures.manifest.clipSweep.count >= 60)
        #expect(mismatches.isEmpty, "\(mismatches.count) differ from transformers: \(mismatches.prefix(10))")
    }

    /// Release-build timing of decode + preprocess for the 640×480 JPEG (printed, not asserted: debug
    /// builds and busy machines vary). Run: swift test -c release --filter ImagingTests.timing
    @Test func timing() throws {
        let url = ImageFixtures.url("rgb_640x480.jpg")
        let bytes = try [UInt8](Data(contentsOf: url))
        let processor = CLIPImageProcessor()
        var out = Tensor(zeros: [3, 224, 224])
        let pointer = out.mutableData
        #if DEBUG
        let runs = 3  // unoptimized code: only check that it runs
        #else
        let runs = 31
        #endif
        var decode: [Double] = [], total: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let image = try ImageDecoder.decode(bytes, name: url.path, alpha: .compositeOnWhite)
            let t1 = DispatchTime.now().uptimeNanoseconds
            processor.preprocess(image, into: pointer)
            let t2 = DispatchTime.now().uptimeNanoseconds
            decode.append(Double(t1 - t0) / 1e6)
            total.append(Double(t2 - t0) / 1e6)
        }
        decode.sort()
        total.sort()
        let image = try ImageDecoder.decode(bytes, name: url.path)
        var preprocess: [Double] = []
        for _ in 0..<(runs * 3) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            processor.preprocess(image, into: pointer)
            preprocess.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        preprocess.sort()
        print("640x480 JPEG: decode median \(decode[runs / 2]) ms, preprocess median \(preprocess[runs * 3 / 2]) ms (min \(preprocess[0]) ms), decode+preprocess median \(total[runs / 2]) ms (min \(total[0]) ms)")
        #expect(out.scalars.allSatisfy { $0.isFinite })
    }
}
