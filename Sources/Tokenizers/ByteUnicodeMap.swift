/// GPT-2's reversible table between the 256 byte values and printable Unicode scalars, shared by the
/// GPT-2 and CLIP byte-level BPEs: printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves and
/// the other 68 bytes, in increasing order, to U+0100, U+0101, … (so a space, 0x20, is `Ġ`, U+0120).
/// Vocabulary tokens are strings over these 256 scalars.
enum ByteUnicodeMap {
    /// `scalars[b]` is the scalar that stands for byte `b`.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!  // 256 ..< 324: always valid scalars
                next += 1
            }
        }
        return table
    }()

    /// Inverse table indexed by scalar value (all mapped scalars are below U+0144); -1 where unmapped.
    private static let inverse: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in scalars.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// The byte that `scalar` stands for, or nil when `scalar` is not one of the 256 byte characters.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < inverse.count else { return nil }
        let b = inverse[v]
        return b < 0 ? nil : UInt8(b)
    }

    /// The token string for one byte: a single byte character.
    static func string(for byte: UInt8) -> String {
        String(Character(scalars[Int(byte)]))
    }

    /// Appends the bytes a vocabulary token stands for. Matches the HF `ByteLevel` decoder: a token with any
    /// scalar outside the table (an added token such as `<|endoftext|>` is inside it) contributes its own UTF-8.
    static func appendBytes(of token: String, to bytes: inout [UInt8]) {
        let start = bytes.count
        for scalar in token.unicodeScalars {
            guard let b = byte(for: scalar) else {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
                return
            }
            bytes.append(b)
        }
    }
}
