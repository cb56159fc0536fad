import Foundation

/// Owner of a contiguous Float32 buffer: either malloc'd (and freed on deinit) or a view into memory
/// kept alive by `owner` (for example a memory-mapped safetensors file).
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// False for views: their memory (e.g. a read-only file mapping) is never written, so the first
    /// mutation copies it.
    public let owned: Bool
    private let owner: AnyObject?

    /// Fresh storage, 64-byte aligned for SIMD and BLAS; zero-filled unless `zeroed` is false.
    public init(count: Int, zeroed: Bool = true) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.owned = true
        self.owner = nil
    }

    /// A view of `count` floats at `pointer`; `owner` is retained for as long as the view lives.
    public init(viewing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owned = false
        self.owner = owner
    }

    deinit { if owned { UnsafeMutableRawPointer(pointer).deallocate() } }
}

/// A dense, row-major (C-contiguous) Float32 tensor.
///
/// Value semantics with copy-on-write: reading is free, and the first mutation of a shared buffer copies
/// it. Kernels take the raw pointers (`data`, `mutableData`) so hot loops never touch Swift arrays.
public struct Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    public private(set) var storage: TensorStorage

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A tensor whose elements are not initialized: for outputs that a kernel overwrites completely.
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *), zeroed: false)
    }

    /// A tensor over existing storage (no copy). `storage.count` must equal the element count.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(storage.count == shape.reduce(1, *), "storage size does not match shape")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor holding a copy of `values`.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "value count does not match shape")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            storage.pointer.update(from: src.baseAddress!, count: values.count)
        }
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// Read-only pointer to the first element.
    public var data: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// Mutable pointer to the first element; copies a shared buffer or a view first (copy-on-write).
    public var mutableData: UnsafeMutablePointer<Float> {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) || !storage.owned {
                let fresh = TensorStorage(count: storage.count)
                fresh.pointer.update(from: storage.pointer, count: storage.count)
                storage = fresh
            }
            return storage.pointer
        }
    }

    /// The same elements under another shape with the same element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape) changes the element count")
        return Tensor(shape: newShape, storage: storage)
    }

    /// A copy of the elements as a Swift array (tests and I/O; never in hot paths).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// Rows [start, start+length) along the first axis, copied into a new tensor.
    public func rows(_ start: Int, _ length: Int) -> Tensor {
        precondition(rank >= 1 && start >= 0 && start + length <= shape[0], "row range out of bounds")
        let inner = shape.dropFirst().reduce(1, *)
        var out = Tensor(zeros: [length] + shape.dropFirst())
        out.mutableData.update(from: storage.pointer + start * inner, count: length * inner)
        return out
    }

    /// The rows at `indices` along the first axis, in that order, copied into a new tensor.
    public func gather(rows indices: [Int]) -> Tensor {
        let inner = shape.dropFirst().reduce(1, *)
        var out = Tensor(uninitialized: [indices.count] + shape.dropFirst())
        let dst = out.mutableData
        for (k, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[0], "row index out of bounds")
            (dst + k * inner).update(from: storage.pointer + i * inner, count: inner)
        }
        return out
    }

    public subscript(flat index: Int) -> Float {
        get { storage.pointer[index] }
        set { mutableData[index] = newValue }
    }
}
