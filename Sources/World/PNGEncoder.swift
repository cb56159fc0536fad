import CImageCodecs

/// Encodes RGB8 pixels as PNG through libpng (CImageCodecs' setjmp-guarded `cic_encode_png_rgb`).
/// The bytes depend only on the pixels (fixed zlib level and filters, no time or text chunks), so a
/// seeded world writes byte-identical files. `Imaging.ImageDecoder` reads them back exactly.
public enum PNGEncoder {
    /// The PNG file of a `width`×`height` image whose `pixels` are row-major interleaved RGB.
    public static func encode(rgb pixels: [UInt8], width: Int, height: Int) throws(WorldError) -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
              pixels.count == width * height * 3 else {
            throw .badImage(reason: "\(pixels.count) bytes is not a \(width)x\(height) RGB image")
        }
        var buffer = cic_buffer()
        let status = pixels.withUnsafeBufferPointer {
            cic_encode_png_rgb($0.baseAddress, Int32(width), Int32(height), &buffer)
        }
        defer { cic_buffer_free(&buffer) }
        guard status == CIC_OK, let data = buffer.data else {
            let message = withUnsafeBytes(of: &buffer.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw .badImage(reason: "PNG encoding failed: \(message)")
        }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }
}
