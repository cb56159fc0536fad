// CLIP image preprocessing: resize (shortest edge, Pillow bicubic), center crop, rescale, normalize.
// Matches transformers' CLIPImageProcessor with the PIL backend (transformers 5.23
// `CLIPImageProcessorPil`, Pillow 13): convert_to_rgb → resize via PIL.Image.resize on uint8 →
// numpy center crop (zero padding when the crop is larger) → float64 ·rescale_factor → float32 →
// (x − mean) / std in float32.
import Foundation
import Tensor

/// Turns RGB images into CLIP pixel values, [3, H, W] Float32 per image.
///
/// Only the resized pixels that survive the center crop are computed; each of them is bit-identical to
/// Pillow's full resize. Rescale and normalize go through a 256-entry table per channel whose entries
/// are computed with numpy's exact sequence of roundings, so the floats equal transformers' bit for bit
/// whenever the uint8 pixels do.
public struct CLIPImageProcessor: Sendable {
    public let config: CLIPImageProcessorConfig
    /// How `preprocess(contentsOf:)` turns alpha into RGB. transformers v5 blends onto white
    /// (`.compositeOnWhite`, the default); OpenAI's CLIP code (`image.convert("RGB")`) drops it (`.drop`).
    public var alpha: AlphaHandling
    /// table[c · 256 + u]: the output value of uint8 sample u in channel c.
    private let table: [Float]

    /// OpenAI CLIP's preprocessing (`CLIPImageProcessorConfig.default`).
    public init(alpha: AlphaHandling = .compositeOnWhite) {
        self.init(checked: .default, alpha: alpha)
    }

    /// A processor for `config`; throws `.invalidConfig` when `config.validate()` does.
    public init(config: CLIPImageProcessorConfig, alpha: AlphaHandling = .compositeOnWhite) throws(ImageError) {
        try config.validate()
        self.init(checked: config, alpha: alpha)
    }

    private init(checked config: CLIPImageProcessorConfig, alpha: AlphaHandling) {
        self.config = config
        self.alpha = alpha
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            let mean = Float(config.imageMean[c]), std = Float(config.imageStd[c])
            for u in 0..<256 {
                // numpy: uint8 → float64 · scale → float32; then float32 (x − mean) / std.
                var x = config.doRescale ? Float(Double(u) * config.rescaleFactor) : Float(u)
                if config.doNormalize { x = (x - mean) / std }
                table[c * 256 + u] = x
            }
        }
        self.table = table
    }

    /// The processor of a model folder: its `preprocessor_config.json` when present, else the default.
    public init(modelFolder: URL, alpha: AlphaHandling = .compositeOnWhite) throws(ImageError) {
        self.init(checked: try .load(modelFolder: modelFolder), alpha: alpha)
    }

    /// (height, width) of the output for a `width`×`height` image: the crop size when cropping, else
    /// the resized (or original) size.
    public func outputSize(width: Int, height: Int) -> (height: Int, width: Int) {
        let plan = Plan(config, width: width, height: height)
        return (plan.outHeight, plan.outWidth)
    }

    /// Writes the [3, H, W] Float32 pixel values of `image` at `out` (H, W from `outputSize`), for
    /// example into one slot of a [B, 3, H, W] batch.
    public func preprocess(_ image: RGBImage, into out: UnsafeMutablePointer<Float>) {
        let plan = Plan(config, width: image.width, height: image.height)
        let window = resizedWindow(image, plan)
        let plane = plan.outHeight * plan.outWidth
        let padded = plan.copyHeight != plan.outHeight || plan.copyWidth != plan.outWidth
        table.withUnsafeBufferPointer { tb in
            window.withUnsafeBufferPointer { wb in
                for c in 0..<3 {
                    let lut = tb.baseAddress! + c * 256
                    let dst = out + c * plane
                    if padded { dst.update(repeating: lut[0], count: plane) }  // the crop's zero padding
                    for y in 0..<plan.copyHeight {
                        let row = dst + (plan.dstTop + y) * plan.outWidth + plan.dstLeft
                        let src = wb.baseAddress! + y * plan.copyWidth * 3 + c
                        for x in 0..<plan.copyWidth { row[x] = lut[Int(src[3 * x])] }
                    }
                }
            }
        }
    }

    /// The [3, H, W] pixel values of `image`.
    public func preprocess(_ image: RGBImage) -> Tensor {
        let (h, w) = outputSize(width: image.width, height: image.height)
        var tensor = Tensor(zeros: [3, h, w])
        preprocess(image, into: tensor.mutableData)
        return tensor
    }

    /// Decodes the file at `url` (alpha per `self.alpha`) and returns its [3, H, W] pixel values.
    public func preprocess(contentsOf url: URL) throws(ImageError) -> Tensor {
        preprocess(try ImageDecoder.decode(contentsOf: url, alpha: alpha))
    }

    /// A [B, 3, H, W] batch. All images must give the same output size (always true with a center crop).
    public func preprocessBatch(_ images: [RGBImage]) throws(ImageError) -> Tensor {
        guard let firstImage = images.first else { return Tensor(zeros: [0, 3, config.cropHeight, config.cropWidth]) }
        let (h, w) = outputSize(width: firstImage.width, height: firstImage.height)
        var batch = Tensor(zeros: [images.count, 3, h, w])
        let base = batch.mutableData
        for (i, image) in images.enumerated() {
            let size = outputSize(width: image.width, height: image.height)
            guard size == (h, w) else {
                throw .batchSizeMismatch(expected: [3, h, w], got: [3, size.height, size.width], index: i)
            }
            preprocess(image, into: base + i * 3 * h * w)
        }
        return batch
    }

    /// The uint8 image after resize and center crop, before rescale and normalize (zero padding
    /// included): what transformers hands to `rescale`. For tests and inspection.
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        let plan = Plan(config, width: image.width, height: image.height)
        let window = resizedWindow(image, plan)
        var pixels = [UInt8](repeating: 0, count: plan.outHeight * plan.outWidth * 3)
        for y in 0..<plan.copyHeight {
            let start = ((plan.dstTop + y) * plan.outWidth + plan.dstLeft) * 3
            pixels[start..<start + plan.copyWidth * 3] = window[y * plan.copyWidth * 3..<(y + 1) * plan.copyWidth * 3]
        }
        return RGBImage(width: plan.outWidth, height: plan.outHeight, pixels: pixels)
    }

    /// The part of the resized image that the crop keeps (HWC, copyHeight × copyWidth).
    private func resizedWindow(_ image: RGBImage, _ plan: Plan) -> [UInt8] {
        let rows = plan.srcTop..<plan.srcTop + plan.copyHeight
        let cols = plan.srcLeft..<plan.srcLeft + plan.copyWidth
        return [UInt8](unsafeUninitializedCapacity: rows.count * cols.count * 3) { buffer, initialized in
            PillowResampler.resample(image, width: plan.resizedWidth, height: plan.resizedHeight,
                                     rows: rows, cols: cols, filter: config.resample, into: buffer.baseAddress!)
            initialized = rows.count * cols.count * 3
        }
    }
}

/// Geometry of one image through resize and center crop.
private struct Plan {
    var resizedHeight: Int, resizedWidth: Int
    var outHeight: Int, outWidth: Int
    /// Window of the resized image that is kept.
    var srcTop: Int, srcLeft: Int, copyHeight: Int, copyWidth: Int
    /// Where the window lands in the output (non-zero only when the crop pads).
    var dstTop: Int, dstLeft: Int

    init(_ config: CLIPImageProcessorConfig, width: Int, height: Int) {
        (resizedHeight, resizedWidth) = config.doResize
            ? config.size.resized(width: width, height: height) : (height, width)
        guard config.doCenterCrop else {
            (outHeight, outWidth) = (resizedHeight, resizedWidth)
            (srcTop, srcLeft, copyHeight, copyWidth, dstTop, dstLeft) = (0, 0, resizedHeight, resizedWidth, 0, 0)
            return
        }
        (outHeight, outWidth) = (config.cropHeight, config.cropWidth)
        (srcTop, dstTop, copyHeight) = Plan.crop(size: resizedHeight, crop: config.cropHeight)
        (srcLeft, dstLeft, copyWidth) = Plan.crop(size: resizedWidth, crop: config.cropWidth)
    }

    /// transformers' center_crop along one axis: offset (size − crop) // 2 when the crop fits; otherwise
    /// the image sits at ceil((crop − size) / 2) in a zero-filled crop.
    static func crop(size: Int, crop: Int) -> (source: Int, destination: Int, count: Int) {
        crop <= size ? ((size - crop) / 2, 0, crop) : (0, (crop - size + 1) / 2, size)
    }
}
