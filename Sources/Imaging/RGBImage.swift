// An 8-bit RGB raster, the common currency between the decoders and the CLIP preprocessing.

/// An 8-bit RGB image, row-major, channels interleaved (HWC): the byte for (x, y, channel c) is
/// `pixels[(y * width + x) * 3 + c]`. This is what Pillow's `Image.convert("RGB")` holds.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes.
    public let pixels: [UInt8]

    /// Wraps `pixels` (HWC, `width * height * 3` bytes).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The sample at column `x`, row `y`, channel `c` (0 = R, 1 = G, 2 = B).
    public subscript(x x: Int, y y: Int, c c: Int) -> UInt8 { pixels[(y * width + x) * 3 + c] }
}

/// How an alpha channel (or PNG tRNS transparency) becomes RGB.
public enum AlphaHandling: Sendable {
    /// Ignore alpha and keep the colour samples, as Pillow's `convert("RGB")` does (and OpenAI CLIP's
    /// own preprocessing, which calls it).
    case drop
    /// Blend onto an opaque white background, as transformers' `convert_to_rgb` does (v5): out =
    /// round(c·a/255 + 255·(1 − a/255)), which equals Pillow's `alpha_composite` on white for every (c, a).
    case compositeOnWhite
}
