import Foundation

/// A linear map from data values to canvas coordinates.
public struct LinearScale: Sendable, Equatable {
    public var domain: ClosedRange<Double>
    public var range: ClosedRange<Double>
    /// Maps `range.lowerBound` to `range.upperBound` when true (the y axis: larger values go up).
    public var flipped: Bool

    public init(domain: ClosedRange<Double>, range: ClosedRange<Double>, flipped: Bool = false) {
        self.domain = domain; self.range = range; self.flipped = flipped
    }

    public func callAsFunction(_ v: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        let t = span > 0 ? (v - domain.lowerBound) / span : 0.5
        let u = flipped ? 1 - t : t
        return range.lowerBound + u * (range.upperBound - range.lowerBound)
    }
}

/// Round tick values ("nice numbers": steps of 1, 2 or 5 × 10ᵏ) covering a data interval.
public struct Ticks: Sendable, Equatable {
    /// The tick values, increasing; the first ≤ the data minimum and the last ≥ the data maximum.
    public var values: [Double]
    public var step: Double

    /// About `target` ticks over [lo, hi]. A degenerate interval is widened to ±0.5 around its value
    /// (±1 at 0); non-finite bounds give [0, 1].
    public init(lo: Double, hi: Double, target: Int = 5) {
        var lo = lo, hi = hi
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if lo > hi { swap(&lo, &hi) }
        if hi - lo < 1e-12 * max(abs(lo), abs(hi), 1e-300) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.5
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(target, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        let step = nice * magnitude
        let first = floor(lo / step), last = ceil(hi / step)
        self.step = step
        values = stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// The interval the ticks span.
    public var span: ClosedRange<Double> { values.first!...values.last! }

    /// A label with as many decimals as the step needs ("0.25", "1,000" is written "1000"; very large
    /// or small magnitudes use exponent notation).
    public func label(_ v: Double) -> String {
        let magnitude = max(abs(values.first ?? 0), abs(values.last ?? 0))
        if magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-4) { return String(format: "%.3g", v) }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        let text = String(format: "%.\(decimals)f", v)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

/// Colors for series, in order (the Tableau 10 palette: distinguishable, and readable in grayscale
/// print by lightness).
public enum Palette {
    public static let colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    public static func color(_ index: Int) -> String { colors[index % colors.count] }
}
