// Decoding JPEG and PNG files into RGBImage, matching Pillow's `Image.open(path).convert("RGB")`.
// The codecs run in CImageCodecs, whose setjmp-based handlers turn every libjpeg/libpng failure into
// a status code; nothing here can exit the process or longjmp through Swift frames.
import CImageCodecs
import Foundation

/// Decodes JPEG and PNG images to 8-bit RGB. The format is found from the signature, not the name.
///
/// Conversions follow Pillow's `convert("RGB")`: grayscale is replicated; palette entries are looked up;
/// 1/2/4-bit gray is scaled (×255, ×85, ×17); 16-bit samples keep their high byte; CMYK JPEGs are read
/// with Adobe (inverted) polarity and converted with Pillow's `cmyk2rgb`; alpha is dropped unless
/// `alpha: .compositeOnWhite` asks for transformers' blend. EXIF orientation is not applied (neither
/// Pillow's `open` nor transformers applies it).
///
/// Deliberate difference from Pillow: a 16-bit grayscale PNG (Pillow mode "I;16") becomes the high byte
/// of each sample. Pillow clips the 16-bit value to 255 instead, so every sample ≥ 256 turns white.
public enum ImageDecoder {
    /// Reads and decodes the file at `url`.
    public static func decode(contentsOf url: URL, alpha: AlphaHandling = .drop) throws(ImageError) -> RGBImage {
        let bytes = try readFile(url.path)
        return try decode(bytes, name: url.path, alpha: alpha)
    }

    /// Decodes an in-memory file. `name` only labels errors.
    public static func decode(_ bytes: [UInt8], name: String = "<memory>", alpha: AlphaHandling = .drop)
        throws(ImageError) -> RGBImage
    {
        let result = bytes.withUnsafeBufferPointer { decode(UnsafeRawBufferPointer($0), name: name, alpha: alpha) }
        return try result.get()
    }

    /// Decodes an in-memory file. `name` only labels errors.
    public static func decode(_ data: Data, name: String = "<memory>", alpha: AlphaHandling = .drop)
        throws(ImageError) -> RGBImage
    {
        let result = data.withUnsafeBytes { decode($0, name: name, alpha: alpha) }
        return try result.get()
    }

    /// The format of the file at `url` from its first bytes, or nil when it is neither JPEG nor PNG.
    public static func format(ofFileAt url: URL) throws(ImageError) -> ImageFormat? {
        ImageFormat(signatureOf: try readFile(url.path, limit: 8))
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, name: String, alpha: AlphaHandling)
        -> Result<RGBImage, ImageError>
    {
        guard let format = ImageFormat(signatureOf: bytes) else { return .failure(.unrecognizedFormat(file: name)) }
        var image = cic_image()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = format == .jpeg
            ? cic_decode_jpeg(base, bytes.count, &image) : cic_decode_png(base, bytes.count, &image)
        defer { cic_image_free(&image) }
        let message = withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch status {
        case CIC_OK: break
        case CIC_TRUNCATED: return .failure(.truncated(file: name, format: format, reason: message))
        case CIC_TOO_LARGE:
            return .failure(.tooLarge(file: name, width: Int(image.width), height: Int(image.height)))
        case CIC_NO_MEMORY: return .failure(.outOfMemory(file: name))
        default: return .failure(.corrupt(file: name, format: format, reason: message))
        }
        return .success(rgbImage(from: image, alpha: alpha))
    }

    /// Converts the codec's buffer (RGB, RGBA or CMYK) to RGB in one pass.
    private static func rgbImage(from image: cic_image, alpha: AlphaHandling) -> RGBImage {
        let count = Int(image.width) * Int(image.height)
        let source = UnsafePointer(image.pixels!)
        let layout = UInt32(image.layout)
        let blend = alpha == .compositeOnWhite && image.has_alpha != 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count * 3) { out, initialized in
            let o = out.baseAddress!
            switch layout {
            case CIC_RGB.rawValue:
                o.update(from: source, count: count * 3)
            case CIC_RGBA.rawValue where blend:
                for i in 0..<count {
                    let a = UInt32(source[4 * i + 3])
                    for c in 0..<3 { o[3 * i + c] = compositeOnWhite(UInt32(source[4 * i + c]), alpha: a) }
                }
            case CIC_RGBA.rawValue:
                for i in 0..<count {
                    o[3 * i] = source[4 * i]
                    o[3 * i + 1] = source[4 * i + 1]
                    o[3 * i + 2] = source[4 * i + 2]
                }
            default:  // CIC_CMYK
                for i in 0..<count {
                    // Pillow reads JPEG CMYK as "CMYK;I" (Adobe's inverted polarity): ink = 255 − stored.
                    // Its cmyk2rgb is then nk − nk·ink/255 with nk = 255 − K_ink = stored K.
                    let nk = UInt32(source[4 * i + 3])
                    for c in 0..<3 {
                        let ink = 255 - UInt32(source[4 * i + c])
                        o[3 * i + c] = UInt8(nk - mulDiv255(ink, nk))
                    }
                }
            }
            initialized = count * 3
        }
        return RGBImage(width: Int(image.width), height: Int(image.height), pixels: pixels)
    }

    /// round(c·a/255 + (255 − a)): x/255 never has a fractional part of exactly ½ (255 is odd).
    @inline(__always)
    static func compositeOnWhite(_ c: UInt32, alpha a: UInt32) -> UInt8 {
        UInt8((c * a + 255 * (255 - a) + 127) / 255)
    }

    /// Pillow's MULDIV255: a·b/255 rounded, via shifts.
    @inline(__always)
    private static func mulDiv255(_ a: UInt32, _ b: UInt32) -> UInt32 {
        let t = a * b + 128
        return ((t >> 8) + t) >> 8
    }

    /// The whole file (or its first `limit` bytes), with the OS's reason on failure.
    static func readFile(_ path: String, limit: Int = .max) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw .unreadable(file: path, reason: "is a directory")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, max(Int(info.st_size), 0)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count < limit {
            let want = min(chunk.count, limit - bytes.count)
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return bytes
    }
}
