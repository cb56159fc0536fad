import Foundation

/// Point sets in two colors (or more), with optional line segments between matched points: the 2-D
/// PCA picture of the modality gap, images and captions joined pair by pair.
public struct ScatterPlot: Plot, Sendable {
    public struct PointSet: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String?

        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil) {
            self.name = name; self.points = points; self.color = color
        }
    }

    /// A segment from one point to another (drawn under the points, thin and translucent).
    public struct Segment: Sendable {
        public var from: (x: Double, y: Double)
        public var to: (x: Double, y: Double)

        public init(from: (x: Double, y: Double), to: (x: Double, y: Double)) { self.from = from; self.to = to }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var sets: [PointSet]
    public var segments: [Segment]
    public var pointRadius: Double = 2.5
    public var width: Double = 640
    public var height: Double = 520
    public var fontFamily = "Helvetica, Arial, sans-serif"

    public init(title: String, xLabel: String, yLabel: String, sets: [PointSet], segments: [Segment] = []) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.sets = sets; self.segments = segments
    }

    public func svg() -> String {
        let names = sets.map(\.name)
        let frame = ChartFrame(width: width, height: height, legendWidth: ChartFrame.legendWidth(names))
        var svg = frame.begin(title: title, font: fontFamily)
        let finite = { (p: (x: Double, y: Double)) in p.x.isFinite && p.y.isFinite }
        let clean = sets.map { $0.points.filter(finite) }
        let segs = segments.filter { finite($0.from) && finite($0.to) }
        let allX = clean.joined().map(\.x) + segs.flatMap { [$0.from.x, $0.to.x] }
        let allY = clean.joined().map(\.y) + segs.flatMap { [$0.from.y, $0.to.y] }
        let xs = finiteExtent(allX) ?? 0...1, ys = finiteExtent(allY) ?? 0...1
        let xTicks = Ticks(lo: xs.lowerBound, hi: xs.upperBound), yTicks = Ticks(lo: ys.lowerBound, hi: ys.upperBound)
        let x = frame.xScale(xTicks.span), y = frame.yScale(yTicks.span)
        frame.drawAxes(&svg, xTicks: xTicks, yTicks: yTicks, x: x, y: y, xLabel: xLabel, yLabel: yLabel)
        if !segs.isEmpty {
            svg.beginGroup(cssClass: "segments")
            for s in segs {
                svg.line(x1: x(s.from.x), y1: y(s.from.y), x2: x(s.to.x), y2: y(s.to.y), stroke: "#888888",
                         width: 0.6, opacity: 0.5, cssClass: "segment")
            }
            svg.endGroup()
        }
        let colors = sets.enumerated().map { $0.element.color ?? Palette.color($0.offset) }
        for (k, points) in clean.enumerated() {
            svg.beginGroup(cssClass: "points", label: sets[k].name)
            for p in points {
                svg.circle(cx: x(p.x), cy: y(p.y), r: pointRadius, fill: colors[k], opacity: 0.75, cssClass: "point")
            }
            svg.endGroup()
        }
        frame.drawLegend(&svg, names: names, colors: colors, lines: false)
        return svg.render()
    }
}
