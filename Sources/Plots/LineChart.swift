import Foundation

/// Several series of (x, y) points as lines with markers, a legend, and ticked axes: for example a
/// metric against the mixup weight λ, one line per model.
public struct LineChart: Plot, Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// A CSS color; nil takes the palette's next color.
        public var color: String?

        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil) {
            self.name = name; self.points = points; self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fix the y axis (e.g. 0...1 for a score); nil fits the data.
    public var yDomain: ClosedRange<Double>?
    public var width: Double = 720
    public var height: Double = 440
    public var fontFamily = "Helvetica, Arial, sans-serif"

    public init(title: String, xLabel: String, yLabel: String, series: [Series], yDomain: ClosedRange<Double>? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series; self.yDomain = yDomain
    }

    public func svg() -> String {
        let names = series.map(\.name)
        let frame = ChartFrame(width: width, height: height, legendWidth: ChartFrame.legendWidth(names))
        var svg = frame.begin(title: title, font: fontFamily)
        // points with a non-finite coordinate are left out
        let clean = series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let xs = finiteExtent(clean.joined().map(\.x)) ?? 0...1
        let ys = yDomain ?? finiteExtent(clean.joined().map(\.y)) ?? 0...1
        let xTicks = Ticks(lo: xs.lowerBound, hi: xs.upperBound), yTicks = Ticks(lo: ys.lowerBound, hi: ys.upperBound)
        let x = frame.xScale(xTicks.span), y = frame.yScale(yTicks.span)
        frame.drawAxes(&svg, xTicks: xTicks, yTicks: yTicks, x: x, y: y, xLabel: xLabel, yLabel: yLabel)
        let colors = series.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
        for (k, points) in clean.enumerated() {
            svg.beginGroup(cssClass: "series", label: series[k].name)
            let sorted = points.sorted { $0.x < $1.x }
            if sorted.count > 1 {
                svg.polyline(sorted.map { (x($0.x), y($0.y)) }, stroke: colors[k], width: 2, cssClass: "line")
            }
            for p in sorted { svg.circle(cx: x(p.x), cy: y(p.y), r: 3, fill: colors[k], cssClass: "marker") }
            svg.endGroup()
        }
        frame.drawLegend(&svg, names: names, colors: colors, lines: true)
        return svg.render()
    }
}
