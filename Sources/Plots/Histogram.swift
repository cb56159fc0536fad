import Foundation

/// Overlaid histograms over shared bins: for example matched-pair cosines before and after each
/// alignment. Bars are translucent so overlaps stay visible.
public struct Histogram: Plot, Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public var color: String?

        public init(name: String, values: [Double], color: String? = nil) {
            self.name = name; self.values = values; self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var series: [Series]
    public var bins: Int
    /// The binned interval; nil spans all finite values. Values outside are left out.
    public var range: ClosedRange<Double>?
    /// Plot each series' fraction of its values per bin instead of counts (for series of unequal sizes).
    public var normalized: Bool
    public var width: Double = 720
    public var height: Double = 440
    public var fontFamily = "Helvetica, Arial, sans-serif"

    public init(title: String, xLabel: String, series: [Series], bins: Int = 30, range: ClosedRange<Double>? = nil,
                normalized: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.series = series; self.bins = max(1, bins); self.range = range
        self.normalized = normalized
    }

    /// Per series, the count in each bin (bins are [lo + k·w, lo + (k+1)·w), the last one closed).
    public func counts() -> (edges: [Double], counts: [[Int]]) {
        let span = range ?? finiteExtent(series.flatMap(\.values)) ?? 0...1
        var lo = span.lowerBound, hi = span.upperBound
        if hi <= lo { lo -= 0.5; hi += 0.5 }
        let w = (hi - lo) / Double(bins)
        let edges = (0...bins).map { lo + Double($0) * w }
        let counts = series.map { s -> [Int] in
            var c = [Int](repeating: 0, count: bins)
            for v in s.values where v.isFinite && v >= lo && v <= hi {
                c[min(bins - 1, Int((v - lo) / w))] += 1
            }
            return c
        }
        return (edges, counts)
    }

    public func svg() -> String {
        let names = series.map(\.name)
        let frame = ChartFrame(width: width, height: height, legendWidth: ChartFrame.legendWidth(names))
        var svg = frame.begin(title: title, font: fontFamily)
        let (edges, counts) = counts()
        let heights = counts.map { c -> [Double] in
            let total = Double(max(1, c.reduce(0, +)))
            return c.map { normalized ? Double($0) / total : Double($0) }
        }
        let top = heights.joined().max() ?? 1
        let xTicks = Ticks(lo: edges.first!, hi: edges.last!), yTicks = Ticks(lo: 0, hi: max(top, normalized ? 0.01 : 1))
        let x = frame.xScale(xTicks.span), y = frame.yScale(yTicks.span)
        frame.drawAxes(&svg, xTicks: xTicks, yTicks: yTicks, x: x, y: y, xLabel: xLabel,
                       yLabel: normalized ? "fraction" : "count")
        let colors = series.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
        for (k, h) in heights.enumerated() {
            svg.beginGroup(cssClass: "series", label: series[k].name)
            for b in 0..<bins {
                let x0 = x(edges[b]), x1 = x(edges[b + 1]), y0 = y(h[b])
                svg.rect(x: x0, y: y0, width: x1 - x0, height: y(0) - y0, fill: colors[k], stroke: "none",
                         opacity: 0.45, cssClass: "bar")
            }
            svg.endGroup()
        }
        frame.drawLegend(&svg, names: names, colors: colors, lines: false)
        return svg.render()
    }
}
