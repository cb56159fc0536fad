// Typed errors of the Imaging target. Each description is one line that names the file at fault.

/// What went wrong while reading, decoding or preprocessing an image. `file` is the path given by the
/// caller, or the `name` passed with in-memory bytes.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes start with neither the JPEG nor the PNG signature.
    case unrecognizedFormat(file: String)
    /// The codec rejected the data.
    case corrupt(file: String, format: ImageFormat, reason: String)
    /// The data ends before the image is complete (Pillow: "image file is truncated").
    case truncated(file: String, format: ImageFormat, reason: String)
    /// The header declares more pixels than the decompression-bomb limit.
    case tooLarge(file: String, width: Int, height: Int)
    /// The decoder could not allocate the pixel buffer.
    case outOfMemory(file: String)
    /// `preprocessor_config.json` is not valid JSON, or a value is of the wrong type or out of range.
    case invalidConfig(file: String, reason: String)
    /// Images in one batch would give different output sizes (only possible without a center crop).
    case batchSizeMismatch(expected: [Int], got: [Int], index: Int)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .unrecognizedFormat(file): return "\(file): not a JPEG or PNG file (unrecognized signature)"
        case let .corrupt(file, format, reason): return "\(file): corrupt \(format.rawValue) data: \(reason)"
        case let .truncated(file, format, reason): return "\(file): truncated \(format.rawValue) file: \(reason)"
        case let .tooLarge(file, width, height): return "\(file): image of \(width)x\(height) pixels is too large"
        case let .outOfMemory(file): return "\(file): out of memory while decoding"
        case let .invalidConfig(file, reason): return "\(file): invalid preprocessor config: \(reason)"
        case let .batchSizeMismatch(expected, got, index):
            return "batch image \(index): preprocessed shape \(got) differs from \(expected) (enable center crop)"
        }
    }
}
