import Foundation

/// Errors from reading model folders and configs; each names the file and what is wrong.
public enum ModelError: Error, CustomStringConvertible {
    case missingFile(String)
    case invalidConfig(file: String, reason: String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .missingFile(path): return "\(path): no such file"
        case let .invalidConfig(file, reason): return "\(file): \(reason)"
        case let .invalidInput(reason): return reason
        }
    }
}

/// Decodes a HF `config.json` into `T`, turning decoding failures into one line naming the file and key.
public func decodeConfig<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError.missingFile(url.path) }
    let data = try Data(contentsOf: url)
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.keyNotFound(key, ctx) {
        let path = (ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
        throw ModelError.invalidConfig(file: url.path, reason: "missing config field '\(path)'")
    } catch let DecodingError.typeMismatch(_, ctx) {
        throw ModelError.invalidConfig(file: url.path, reason: "config field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
    } catch let DecodingError.valueNotFound(_, ctx) {
        throw ModelError.invalidConfig(file: url.path, reason: "config field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' is null")
    } catch let DecodingError.dataCorrupted(ctx) {
        let at = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw ModelError.invalidConfig(file: url.path, reason: at.isEmpty ? "not valid JSON" : "config field '\(at)': \(ctx.debugDescription)")
    }
}
