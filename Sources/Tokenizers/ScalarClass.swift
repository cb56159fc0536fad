/// The character classes that the CLIP and GPT-2 pre-tokenizer patterns use: `\p{L}`, `\p{N}`, `\s`, and
/// everything else. `\s` is the Unicode White_Space property (Oniguruma's and Rust regex's definition);
/// `\p{L}` is general category L*, `\p{N}` is Nd, Nl and No.
/// Classes come from the Swift standard library's Unicode tables (Unicode 17 in Swift 6.3), but a scalar
/// assigned after `referenceUnicodeVersion` counts as `other`, as an unassigned code point does in the
/// reference: HF `tokenizers` 0.23's Oniguruma knows Unicode 16. Checked for every code point by
/// `UnicodeClassTests` against a table the reference's engine wrote.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    /// The Unicode version of the reference tokenizers' character tables.
    static let referenceUnicodeVersion: Unicode.Version = (major: 16, minor: 0)

    /// Classes of the 128 ASCII scalars, so the common case is one table load.
    private static let ascii: [ScalarClass] = (0..<128).map { v in
        let s = Unicode.Scalar(UInt8(v))
        return classify(s)
    }

    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        scalar.value < 128 ? ascii[Int(scalar.value)] : classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        let cls: ScalarClass
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            cls = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            cls = .number
        default:
            return .other
        }
        if let age = properties.age,
           (age.major, age.minor) > (referenceUnicodeVersion.major, referenceUnicodeVersion.minor) {
            return .other
        }
        return cls
    }
}
