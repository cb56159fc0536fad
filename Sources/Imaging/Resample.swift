// Pillow-exact image resizing. Port of the semantics of Pillow's libImaging/Resample.c (read, not
// copied): separable convolution in two passes (order below); the filter support is widened
// by the downscale factor (antialiasing); each output's weights are normalized to sum 1, quantized to
// fixed point with 22 fractional bits (PRECISION_BITS = 32 − 8 − 2), accumulated in 32-bit integers
// starting from ½, and each pass is shifted back, clipped to 0…255 and stored as uint8.
import Foundation

/// Pillow's convolution filters, numbered as `PIL.Image.Resampling` (the `resample` value of a
/// `preprocessor_config.json`). NEAREST (0) is not a convolution and is not provided.
public enum ResampleFilter: Int, Codable, Sendable, CaseIterable {
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    /// Half-width of the filter at scale 1, in input pixels.
    var support: Double {
        switch self {
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel, evaluated in the same order of operations as Pillow so the doubles agree bit for bit.
    func weight(_ t: Double) -> Double {
        switch self {
        case .box:
            return t > -0.5 && t <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(t)
            return x < 1 ? 1 - x : 0
        case .hamming:
            let x = abs(t)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            let px = x * Double.pi
            // Pillow writes the constants as C floats (0.54f, 0.46f), promoted to double.
            return sin(px) / px * (Double(Float(0.54)) + Double(Float(0.46)) * cos(px))
        case .bicubic:
            // Keys cubic with a = −0.5.
            let a = -0.5
            let x = abs(t)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            func sinc(_ x: Double) -> Double {
                if x == 0 { return 1 }
                let px = x * Double.pi
                return sin(px) / px
            }
            return -3 <= t && t < 3 ? sinc(t) * sinc(t / 3) : 0
        }
    }
}

/// Fixed-point weights along one axis for the outputs in `outputs` (Pillow's precompute_coeffs followed
/// by normalize_coeffs_8bpc, for the box (0, inputSize)).
struct ResampleAxis {
    static let precisionBits: Int32 = 22

    /// First input index used by each output (relative to `outputs.lowerBound`).
    let first: [Int]
    /// Number of inputs used by each output.
    let count: [Int]
    /// Stride of `weights` per output (Pillow's ksize).
    let taps: Int
    /// Quantized weights, `taps` per output; entries past `count` are zero.
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int, outputs: Range<Int>, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1 / filterScale
        var first = [Int](repeating: 0, count: outputs.count)
        var count = [Int](repeating: 0, count: outputs.count)
        var weights = [Int32](repeating: 0, count: outputs.count * taps)
        var k = [Double](repeating: 0, count: taps)
        let one = Double(1 << ResampleAxis.precisionBits)
        for (i, xx) in outputs.enumerated() {
            let center = (Double(xx) + 0.5) * scale
            // C's (int) truncates toward zero, as Int(_:) does; the clamps follow it.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inputSize) - xmin
            var sum = 0.0
            for x in 0..<xmax {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverseScale)
                k[x] = w
                sum += w
            }
            for x in 0..<xmax {
                if sum != 0 { k[x] /= sum }
                // Round half away from zero, then truncate: Pillow's (int)(±0.5 + w · 2^22).
                weights[i * taps + x] = k[x] < 0 ? Int32(-0.5 + k[x] * one) : Int32(0.5 + k[x] * one)
            }
            first[i] = xmin
            count[i] = max(xmax, 0)
        }
        self.first = first
        self.count = count
        self.taps = taps
        self.weights = weights
    }

    /// The inputs that any of the outputs touches.
    var inputRange: Range<Int> {
        guard !first.isEmpty else { return 0..<0 }
        var lo = Int.max, hi = Int.min
        for i in first.indices where count[i] > 0 {
            lo = min(lo, first[i])
            hi = max(hi, first[i] + count[i])
        }
        return lo <= hi ? lo..<hi : 0..<0
    }
}

/// Two-pass resampling of an HWC uint8 RGB image, producing only a window of the resized image.
/// Every output pixel depends only on its own row's and column's weights (and the pass order), so a
/// window is bit-identical to the same pixels of a full Pillow resize; this is how the center crop
/// avoids resampling pixels it would throw away.
enum PillowResampler {
    /// Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many pixels
    /// as the width does, otherwise horizontal first (older Pillow: always horizontal first). The rule
    /// was measured against Pillow 13.0 on random sizes and agrees with the title of Pillow PR #9549
    /// ("if height is scaled down significantly more than width, resize vertically first"). The order
    /// matters because each pass rounds and clips to uint8.
    static func verticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        outHeight < inHeight && inHeight - outHeight > 2 * (inWidth - outWidth)
    }

    /// Writes rows `rows` × columns `cols` of `image` resized to `width`×`height` into `out`
    /// (HWC, `rows.count * cols.count * 3` bytes).
    static func resample(
        _ image: RGBImage, width: Int, height: Int, rows: Range<Int>, cols: Range<Int>,
        filter: ResampleFilter, into out: UnsafeMutablePointer<UInt8>
    ) {
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let horizontal = needHorizontal
            ? ResampleAxis(inputSize: image.width, outputSize: width, outputs: cols, filter: filter) : nil
        let vertical = needVertical
            ? ResampleAxis(inputSize: image.height, outputSize: height, outputs: rows, filter: filter) : nil
        let stride = image.width * 3
        let rowBytes = cols.count * 3

        image.pixels.withUnsafeBufferPointer { src in
            let source = src.baseAddress!
            switch (horizontal, vertical) {
            case (nil, nil):
                for (r, y) in rows.enumerated() {
                    (out + r * rowBytes).update(from: source + y * stride + cols.lowerBound * 3, count: rowBytes)
                }
            case let (h?, nil):
                horizontalPass(source + rows.lowerBound * stride, stride: stride, rowCount: rows.count,
                               firstColumn: 0, axis: h, into: out)
            case let (nil, v?):
                verticalPass(source + cols.lowerBound * 3, stride: stride, firstRow: 0, rowBytes: rowBytes,
                             axis: v, into: out)
            case let (h?, v?) where verticalFirst(inWidth: image.width, inHeight: image.height,
                                                  outWidth: width, outHeight: height):
                // Vertical pass over the input columns the horizontal pass will read, then horizontal.
                let inputCols = h.inputRange
                let middleBytes = inputCols.count * 3
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(rows.count * middleBytes, 1)) { mid in
                    let m = mid.baseAddress!
                    verticalPass(source + inputCols.lowerBound * 3, stride: stride, firstRow: 0,
                                 rowBytes: middleBytes, axis: v, into: m)
                    horizontalPass(m, stride: middleBytes, rowCount: rows.count,
                                   firstColumn: inputCols.lowerBound, axis: h, into: out)
                }
            case let (h?, v?):
                // Horizontal pass over the input rows the vertical pass will read, then vertical.
                let inputRows = v.inputRange
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(inputRows.count * rowBytes, 1)) { mid in
                    let m = mid.baseAddress!
                    horizontalPass(source + inputRows.lowerBound * stride, stride: stride, rowCount: inputRows.count,
                                   firstColumn: 0, axis: h, into: m)
                    verticalPass(m, stride: rowBytes, firstRow: inputRows.lowerBound, rowBytes: rowBytes,
                                 axis: v, into: out)
                }
            }
        }
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 { UInt8(clamping: sum >> ResampleAxis.precisionBits) }

    /// out[r, j] = clip8(½ + Σ_t in[r, first_j + t] · w_j[t]) per channel, for `rowCount` rows of
    /// `source` (`stride` bytes apart, column 0 of `source` being input column `firstColumn`).
    /// Scalar: with 3-byte pixels, SIMD4 loads measured slower than three scalar accumulators.
    private static func horizontalPass(
        _ source: UnsafePointer<UInt8>, stride: Int, rowCount: Int, firstColumn: Int, axis: ResampleAxis,
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let half: Int32 = 1 << (ResampleAxis.precisionBits - 1)
        let outWidth = axis.first.count
        axis.weights.withUnsafeBufferPointer { wb in
            axis.first.withUnsafeBufferPointer { fb in
                axis.count.withUnsafeBufferPointer { cb in
                    for r in 0..<rowCount {
                        let row = source + r * stride
                        let dst = out + r * outWidth * 3
                        for j in 0..<outWidth {
                            let k = wb.baseAddress! + j * axis.taps
                            var p = row + (fb[j] - firstColumn) * 3
                            var s0 = half, s1 = half, s2 = half
                            for t in 0..<cb[j] {
                                let w = k[t]
                                s0 &+= Int32(p[0]) &* w
                                s1 &+= Int32(p[1]) &* w
                                s2 &+= Int32(p[2]) &* w
                                p += 3
                            }
                            dst[3 * j] = clip8(s0)
                            dst[3 * j + 1] = clip8(s1)
                            dst[3 * j + 2] = clip8(s2)
                        }
                    }
                }
            }
        }
    }

    /// out[i, :] = clip8(½ + Σ_t in[first_i + t − firstRow, :] · w_i[t]) over `rowBytes` bytes per row
    /// (`source` rows `stride` bytes apart), 16 bytes at a time in registers.
    private static func verticalPass(
        _ source: UnsafePointer<UInt8>, stride: Int, firstRow: Int, rowBytes: Int, axis: ResampleAxis,
        into out: UnsafeMutablePointer<UInt8>
    ) {
        typealias Lanes = SIMD16<Int32>
        let half: Int32 = 1 << (ResampleAxis.precisionBits - 1)
        let blocks = rowBytes / 16
        axis.weights.withUnsafeBufferPointer { wb in
            for i in axis.first.indices {
                let k = wb.baseAddress! + i * axis.taps
                let top = source + (axis.first[i] - firstRow) * stride
                let taps = axis.count[i]
                let dst = out + i * rowBytes
                for b in 0..<blocks {
                    var sum = Lanes(repeating: half)
                    var p = top + 16 * b
                    for t in 0..<taps {
                        let bytes = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self)
                        sum &+= Lanes(truncatingIfNeeded: bytes) &* k[t]
                        p += stride
                    }
                    let clipped = (sum &>> ResampleAxis.precisionBits).clamped(lowerBound: .zero, upperBound: Lanes(repeating: 255))
                    UnsafeMutableRawPointer(dst + 16 * b).storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: clipped), as: SIMD16<UInt8>.self)
                }
                for j in (16 * blocks)..<rowBytes {
                    var sum = half
                    var p = top + j
                    for t in 0..<taps {
                        sum &+= Int32(p[0]) &* k[t]
                        p += stride
                    }
                    dst[j] = clip8(sum)
                }
            }
        }
    }
}

extension RGBImage {
    /// This image resized to `width`×`height`, bit-identical to Pillow's
    /// `Image.resize((width, height), resample=filter)` on an RGB image.
    public func resized(width: Int, height: Int, filter: ResampleFilter = .bicubic) -> RGBImage {
        precondition(width > 0 && height > 0, "resized: target \(width)x\(height) must be positive")
        if width == self.width && height == self.height { return self }
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, initialized in
            PillowResampler.resample(self, width: width, height: height, rows: 0..<height, cols: 0..<width,
                                     filter: filter, into: buffer.baseAddress!)
            initialized = width * height * 3
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
