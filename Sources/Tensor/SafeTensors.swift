import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors from reading or writing safetensors files; each names the file.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    case truncated(file: String, reason: String)
    case malformedHeader(file: String, reason: String)
    case missingTensor(file: String, name: String)
    case unsupportedDType(file: String, name: String, dtype: String)
    case shapeMismatch(file: String, name: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .cannotOpen(f, r): return "\(f): cannot open safetensors file: \(r)"
        case let .truncated(f, r): return "\(f): truncated safetensors file: \(r)"
        case let .malformedHeader(f, r): return "\(f): malformed safetensors header: \(r)"
        case let .missingTensor(f, n): return "\(f): missing tensor '\(n)'"
        case let .unsupportedDType(f, n, d): return "\(f): tensor '\(n)' has unsupported dtype \(d) (need F32, F16, BF16 or F64)"
        case let .shapeMismatch(f, n, e, a): return "\(f): tensor '\(n)' has shape \(a), expected \(e)"
        }
    }
}

/// The element types a safetensors header may name.
public enum SafeTensorsDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }
}

/// A read-only memory mapping of a whole file; unmapped when the last user lets go.
final class MappedFile {
    let base: UnsafeRawPointer
    let size: Int
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError.cannotOpen(file: path, reason: "not a regular file") }
        size = Int(st.st_size)
        guard size >= 8 else { throw SafeTensorsError.truncated(file: path, reason: "\(size) bytes, shorter than the 8-byte header length") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }
    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// A memory-mapped safetensors file. Tensors are read by name and converted to Float32; aligned F32 data
/// is used in place (no copy), F16/BF16/F64 are converted. Every offset is checked against the file size.
public final class SafeTensorsFile {
    public struct Entry: Sendable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        public let offset: Int   // from the start of the file
        public let byteCount: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let headerLength = Int(UInt64(littleEndian: file.base.loadUnaligned(as: UInt64.self)))
        guard headerLength > 0, headerLength <= file.size - 8 else {
            throw SafeTensorsError.truncated(file: path, reason: "header length \(headerLength) exceeds the file size \(file.size)")
        }
        let headerData = Data(bytes: file.base + 8, count: headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let dict = json as? [String: Any] else {
            throw SafeTensorsError.malformedHeader(file: path, reason: "header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw SafeTensorsError.malformedHeader(file: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(file: path, name: name, dtype: dtypeName)
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0] else {
                throw SafeTensorsError.malformedHeader(file: path, reason: "entry '\(name)' has a negative shape or offsets")
            }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == count * dtype.byteSize else {
                throw SafeTensorsError.malformedHeader(file: path, reason: "entry '\(name)': \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtypeName)")
            }
            guard dataStart + offsets[1] <= file.size else {
                throw SafeTensorsError.truncated(file: path, reason: "tensor '\(name)' ends at byte \(dataStart + offsets[1]) of \(file.size)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, offset: dataStart + offsets[0], byteCount: offsets[1] - offsets[0])
        }
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafeTensorsError.missingTensor(file: path, name: name) }
        return e
    }

    /// The tensor `name` as Float32. When `shape` is given, the stored shape must equal it.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        let e = try entry(name)
        guard [.f32, .f16, .bf16, .f64].contains(e.dtype) else {
            throw SafeTensorsError.unsupportedDType(file: path, name: name, dtype: e.dtype.rawValue)
        }
        if let expected, expected != e.shape {
            throw SafeTensorsError.shapeMismatch(file: path, name: name, expected: expected, actual: e.shape)
        }
        let count = e.shape.reduce(1, *)
        let src = file.base + e.offset
        switch e.dtype {
        case .f32:
            #if _endian(little)
            if Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 {
                let p = UnsafeMutablePointer(mutating: src.assumingMemoryBound(to: Float.self))
                return Tensor(shape: e.shape, storage: TensorStorage(viewing: p, count: count, owner: file))
            }
            #endif
            var t = Tensor(uninitialized: e.shape)
            UnsafeMutableRawPointer(t.mutableData).copyMemory(from: src, byteCount: e.byteCount)
            return t
        case .f16:
            var t = Tensor(uninitialized: e.shape)
            let out = t.mutableData
            for i in 0..<count { out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            return t
        case .bf16:
            var t = Tensor(uninitialized: e.shape)
            let out = t.mutableData
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
            return t
        case .f64:
            var t = Tensor(uninitialized: e.shape)
            let out = t.mutableData
            for i in 0..<count { out[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            return t
        default:
            throw SafeTensorsError.unsupportedDType(file: path, name: name, dtype: e.dtype.rawValue)
        }
    }

    /// An integer tensor (I64/I32/I16/I8/U8/BOOL) as Int values, for ids and masks in fixtures.
    public func integers(_ name: String) throws -> (shape: [Int], values: [Int]) {
        let e = try entry(name)
        let count = e.shape.reduce(1, *)
        let src = file.base + e.offset
        var values = [Int](repeating: 0, count: count)
        for i in 0..<count {
            switch e.dtype {
            case .i64: values[i] = Int(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            case .i32: values[i] = Int(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
            case .i16: values[i] = Int(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
            case .i8: values[i] = Int(src.loadUnaligned(fromByteOffset: i, as: Int8.self))
            case .u8, .bool: values[i] = Int(src.loadUnaligned(fromByteOffset: i, as: UInt8.self))
            default: throw SafeTensorsError.unsupportedDType(file: path, name: name, dtype: e.dtype.rawValue)
            }
        }
        return (e.shape, values)
    }
}

/// IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN included).
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // zero or subnormal: mantissa · 2^-24
        let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
        return Float(bitPattern: sign | magnitude.bitPattern)
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}

/// Writes named Float32 tensors as a safetensors file, atomically (temporary file, then rename).
/// Names are written in sorted order; the header is padded with spaces to a multiple of 8 bytes so that
/// the data of every tensor is 8-byte aligned, as the Rust reference writer does.
public enum SafeTensorsWriter {
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * 4
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let pad = (8 - (8 + headerData.count) % 8) % 8
        headerData.append(contentsOf: [UInt8](repeating: 0x20, count: pad))
        try AtomicWrite.write(to: url) { tmp in
            guard FileManager.default.createFile(atPath: tmp.path, contents: nil),
                  let handle = try? FileHandle(forWritingTo: tmp) else {
                throw SafeTensorsError.cannotOpen(file: tmp.path, reason: "cannot create")
            }
            defer { try? handle.close() }
            var length = UInt64(headerData.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: headerData)
            for name in names {
                let t = tensors[name]!
                try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: t.data),
                                                  count: t.count * 4, deallocator: .none))
            }
        }
    }
}
