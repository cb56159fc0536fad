import Foundation

/// Grouped bars: one group per category, one bar per series within it. For example a metric per
/// alignment method (categories) for each model (series).
public struct BarChart: Plot, Sendable {
    public struct Series: Sendable {
        public var name: String
        /// One value per category; a non-finite value draws no bar.
        public var values: [Double]
        public var color: String?

        public init(name: String, values: [Double], color: String? = nil) {
            self.name = name; self.values = values; self.color = color
        }
    }

    public var title: String
    public var yLabel: String
    public var categories: [String]
    public var series: [Series]
    public var yDomain: ClosedRange<Double>?
    public var width: Double = 720
    public var height: Double = 440
    public var fontFamily = "Helvetica, Arial, sans-serif"

    public init(title: String, yLabel: String, categories: [String], series: [Series], yDomain: ClosedRange<Double>? = nil) {
        self.title = title; self.yLabel = yLabel; self.categories = categories; self.series = series; self.yDomain = yDomain
    }

    public func svg() -> String {
        let names = series.map(\.name)
        let frame = ChartFrame(width: width, height: height, legendWidth: series.count > 1 ? ChartFrame.legendWidth(names) : 0)
        var svg = frame.begin(title: title, font: fontFamily)
        let values = series.flatMap { $0.values.prefix(categories.count) }
        // bars grow from 0, so 0 is always on the axis
        let extent = yDomain ?? finiteExtent(values + [0]) ?? 0...1
        let yTicks = Ticks(lo: extent.lowerBound, hi: extent.upperBound)
        let y = frame.yScale(yTicks.span)
        frame.drawAxes(&svg, xTicks: nil, yTicks: yTicks, x: frame.xScale(0...1), y: y, xLabel: "", yLabel: yLabel)
        let colors = series.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
        let groupWidth = frame.plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        let zero = y(min(max(0, yTicks.span.lowerBound), yTicks.span.upperBound))
        svg.beginGroup(cssClass: "bars")
        for (c, category) in categories.enumerated() {
            let x0 = frame.left + Double(c) * groupWidth + groupWidth * 0.1
            for (k, s) in series.enumerated() where c < s.values.count && s.values[c].isFinite {
                let top = y(s.values[c])
                svg.rect(x: x0 + Double(k) * barWidth, y: min(top, zero), width: barWidth * 0.92, height: abs(zero - top),
                         fill: colors[k], cssClass: "bar")
            }
            svg.text(category, x: x0 + groupWidth * 0.4, y: frame.bottom + 18, anchor: .middle, size: 11,
                     cssClass: "category-label")
        }
        svg.endGroup()
        if series.count > 1 { frame.drawLegend(&svg, names: names, colors: colors, lines: false) }
        return svg.render()
    }
}
