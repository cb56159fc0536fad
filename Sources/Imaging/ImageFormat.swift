// Container format detection by signature ("magic bytes"); the file extension is never consulted.

/// The image containers the decoder understands.
public enum ImageFormat: String, Equatable, Sendable {
    case jpeg = "JPEG"
    case png = "PNG"

    /// The format whose signature starts `bytes`, or nil. JPEG: FF D8 FF (SOI then a marker).
    /// PNG: the 8-byte signature 89 'P' 'N' 'G' 0D 0A 1A 0A.
    public init?<Bytes: Collection>(signatureOf bytes: Bytes) where Bytes.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF {
            self = .jpeg
        } else if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else {
            return nil
        }
    }
}
