import Foundation

/// An image or caption identifier as datasets spell it: COCO uses integers, Flickr file names.
///
/// Encodes as a bare JSON integer or string, so sidecar rows read `{"image_id": 42, ...}` or
/// `{"image_id": "1000092795.jpg", ...}`. `.int(42)` and `.string("42")` are different ids.
public enum ItemID: Codable, Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    /// The id as text: the integer in decimal, or the string itself (e.g. for joining with an images folder).
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        throw DecodingError.typeMismatch(ItemID.self, .init(codingPath: decoder.codingPath,
            debugDescription: "expected an integer or a string"))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    /// An id from a parsed JSON value: integers and strings only (an integral double such as 42.0 counts
    /// as 42, as Python writers sometimes produce it).
    public init?(json: JSONValue) {
        switch json {
        case .int(let i): self = .int(i)
        case .string(let s): self = .string(s)
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: self = .int(Int(d))
        default: return nil
        }
    }

    /// An id from a text field (CSV): a canonical decimal integer ("0", "42", "-7"; no leading zeros or
    /// sign "+") becomes `.int`, so COCO ids in a CSV match COCO references; anything else stays a string.
    init(text: String) {
        if let i = Int(text), String(i) == text { self = .int(i) } else { self = .string(text) }
    }

    /// The id as a JSON value (an integer or a string).
    public var json: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        }
    }
}
