// The subset of a Hugging Face `preprocessor_config.json` that CLIP preprocessing reads.
import Foundation

/// Settings of transformers' `CLIPImageProcessor`, read from `preprocessor_config.json`. Keys and
/// defaults are transformers' (v5.23) class attributes; a missing key keeps its default and keys this
/// pipeline does not use (`feature_extractor_type`, `processor_class`, …) are ignored.
///
/// `size` is an int (shortest edge) or `{"shortest_edge": n}` or `{"height": h, "width": w}`;
/// `crop_size` is an int (square) or `{"height": h, "width": w}`; `image_mean`/`image_std` are three
/// numbers or one number for all channels.
public struct CLIPImageProcessorConfig: Codable, Equatable, Sendable {
    /// Target of the resize step.
    public enum Size: Equatable, Sendable {
        /// Scale so the shorter side is `n` and the longer is ⌊n · long / short⌋ (transformers'
        /// `get_resize_output_image_size` with `default_to_square=False`).
        case shortestEdge(Int)
        /// Resize to exactly these dimensions.
        case exact(height: Int, width: Int)
    }

    public var size: Size = .shortestEdge(224)
    public var cropHeight: Int = 224
    public var cropWidth: Int = 224
    public var doResize = true
    public var doCenterCrop = true
    public var doRescale = true
    public var doNormalize = true
    /// Kept for fidelity to the file; decoding always yields RGB (see `CLIPImageProcessor.alpha`).
    public var doConvertRGB = true
    public var rescaleFactor: Double = 1.0 / 255.0
    public var imageMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd: [Double] = [0.26862954, 0.26130258, 0.27577711]
    public var resample: ResampleFilter = .bicubic

    /// OpenAI CLIP's settings (DESIGN §2): shortest side 224, bicubic, center crop 224, 1/255, CLIP mean/std.
    public static let `default` = CLIPImageProcessorConfig()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case size, resample
        case cropSize = "crop_size"
        case doResize = "do_resize"
        case doCenterCrop = "do_center_crop"
        case doRescale = "do_rescale"
        case doNormalize = "do_normalize"
        case doConvertRGB = "do_convert_rgb"
        case rescaleFactor = "rescale_factor"
        case imageMean = "image_mean"
        case imageStd = "image_std"
    }

    private struct SizeKeys: Codable {
        var shortestEdge: Int?, longestEdge: Int?, height: Int?, width: Int?
        enum CodingKeys: String, CodingKey {
            case height, width
            case shortestEdge = "shortest_edge"
            case longestEdge = "longest_edge"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func corrupt(_ key: CodingKeys, _ why: String) -> DecodingError {
            .dataCorruptedError(forKey: key, in: c, debugDescription: why)
        }
        if c.contains(.size), try !c.decodeNil(forKey: .size) {
            if let n = try? c.decode(Int.self, forKey: .size) {
                size = .shortestEdge(n)
            } else {
                let s = try c.decode(SizeKeys.self, forKey: .size)
                if s.longestEdge != nil { throw corrupt(.size, "longest_edge is not supported") }
                if let n = s.shortestEdge, s.height == nil, s.width == nil {
                    size = .shortestEdge(n)
                } else if let h = s.height, let w = s.width, s.shortestEdge == nil {
                    size = .exact(height: h, width: w)
                } else {
                    throw corrupt(.size, "expected an int, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}")
                }
            }
        }
        if c.contains(.cropSize), try !c.decodeNil(forKey: .cropSize) {
            if let n = try? c.decode(Int.self, forKey: .cropSize) {
                (cropHeight, cropWidth) = (n, n)
            } else {
                let s = try c.decode(SizeKeys.self, forKey: .cropSize)
                guard let h = s.height, let w = s.width else {
                    throw corrupt(.cropSize, "expected an int or {\"height\": h, \"width\": w}")
                }
                (cropHeight, cropWidth) = (h, w)
            }
        }
        doResize = try c.decodeIfPresent(Bool.self, forKey: .doResize) ?? doResize
        doCenterCrop = try c.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? doCenterCrop
        doRescale = try c.decodeIfPresent(Bool.self, forKey: .doRescale) ?? doRescale
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? doNormalize
        doConvertRGB = try c.decodeIfPresent(Bool.self, forKey: .doConvertRGB) ?? doConvertRGB
        rescaleFactor = try c.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? rescaleFactor
        for key in [CodingKeys.imageMean, .imageStd] where c.contains(key) {
            let values: [Double]
            if let one = try? c.decode(Double.self, forKey: key) {
                values = [one, one, one]
            } else {
                values = try c.decode([Double].self, forKey: key)
            }
            guard values.count == 3 else { throw corrupt(key, "expected 3 values (R, G, B), got \(values.count)") }
            if key == .imageMean { imageMean = values } else { imageStd = values }
        }
        if let raw = try c.decodeIfPresent(Int.self, forKey: .resample) {
            guard let filter = ResampleFilter(rawValue: raw) else {
                throw corrupt(.resample, "resample \(raw) is not supported (1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)")
            }
            resample = filter
        }
        if let (key, why) = problem { throw corrupt(key, why) }
    }

    /// The first invalid value (its key and what is wrong), or nil.
    private var problem: (CodingKeys, String)? {
        switch size {
        case .shortestEdge(let n) where n <= 0: return (.size, "size must be positive, got \(n)")
        case .exact(let h, let w) where h <= 0 || w <= 0: return (.size, "size must be positive, got \(h)x\(w)")
        default: break
        }
        if cropHeight <= 0 || cropWidth <= 0 {
            return (.cropSize, "crop_size must be positive, got \(cropHeight)x\(cropWidth)")
        }
        if imageMean.count != 3 { return (.imageMean, "expected 3 values (R, G, B), got \(imageMean.count)") }
        if imageStd.count != 3 { return (.imageStd, "expected 3 values (R, G, B), got \(imageStd.count)") }
        if imageStd.contains(where: { $0 == 0 || !$0.isFinite }) || imageMean.contains(where: { !$0.isFinite }) {
            return (.imageStd, "image_mean must be finite and image_std finite and non-zero")
        }
        if !rescaleFactor.isFinite { return (.rescaleFactor, "rescale_factor must be finite") }
        return nil
    }

    /// Checks a config built in code (a parsed one is already checked): positive sizes, three finite
    /// means, three finite non-zero stds, a finite rescale factor.
    public func validate() throws(ImageError) {
        if let (key, why) = problem { throw .invalidConfig(file: "<config>", reason: "\(key.stringValue): \(why)") }
    }

    /// Writes the keys in transformers' normalized form (`size` and `crop_size` as dictionaries).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch size {
        case .shortestEdge(let n): try c.encode(SizeKeys(shortestEdge: n), forKey: .size)
        case let .exact(h, w): try c.encode(SizeKeys(height: h, width: w), forKey: .size)
        }
        try c.encode(SizeKeys(height: cropHeight, width: cropWidth), forKey: .cropSize)
        try c.encode(doResize, forKey: .doResize)
        try c.encode(doCenterCrop, forKey: .doCenterCrop)
        try c.encode(doRescale, forKey: .doRescale)
        try c.encode(doNormalize, forKey: .doNormalize)
        try c.encode(doConvertRGB, forKey: .doConvertRGB)
        try c.encode(rescaleFactor, forKey: .rescaleFactor)
        try c.encode(imageMean, forKey: .imageMean)
        try c.encode(imageStd, forKey: .imageStd)
        try c.encode(resample.rawValue, forKey: .resample)
    }

    /// Parses a `preprocessor_config.json` file.
    public static func load(contentsOf url: URL) throws(ImageError) -> CLIPImageProcessorConfig {
        let bytes = try ImageDecoder.readFile(url.path)
        return try parse(Data(bytes), name: url.path)
    }

    /// Parses JSON text; `name` labels errors.
    public static func parse(_ json: Data, name: String = "<memory>") throws(ImageError) -> CLIPImageProcessorConfig {
        do {
            return try JSONDecoder().decode(CLIPImageProcessorConfig.self, from: json)
        } catch let error as DecodingError {
            throw .invalidConfig(file: name, reason: summary(of: error))
        } catch {
            throw .invalidConfig(file: name, reason: "\(error)")
        }
    }

    /// The config of a model folder: its `preprocessor_config.json` when present, else `.default`.
    public static func load(modelFolder: URL) throws(ImageError) -> CLIPImageProcessorConfig {
        let file = modelFolder.appendingPathComponent("preprocessor_config.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return .default }
        return try load(contentsOf: file)
    }

    /// One line: the key path and what is wrong with it.
    private static func summary(of error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .typeMismatch(type, context):
            return "\(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "\(path(context.codingPath)): missing \(type) value"
        case let .keyNotFound(key, context):
            return "\(path(context.codingPath + [key])): missing key"
        case let .dataCorrupted(context):
            let why = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return "\(path(context.codingPath)): \(why.split(separator: "\n").first ?? "")"
        @unknown default:
            return "\(error)"
        }
    }
}

extension CLIPImageProcessorConfig.Size {
    /// The resized (height, width) of a `width`×`height` image, as transformers computes it.
    func resized(width: Int, height: Int) -> (height: Int, width: Int) {
        switch self {
        case let .exact(h, w):
            return (h, w)
        case let .shortestEdge(n):
            // int(n * long / short): Python's true division of ints, then truncation.
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(n * long) / Double(short))
            return width <= height ? (newLong, n) : (n, newLong)
        }
    }
}
