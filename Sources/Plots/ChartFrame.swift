import Foundation

/// The parts every chart shares: the canvas, the plot area inside the margins, a title, x and y axes
/// with ticks, grid lines and labels, and a legend column on the right.
struct ChartFrame {
    let width: Double, height: Double
    let left: Double, right: Double, top: Double, bottom: Double

    /// Margins: room for the y tick labels and axis label on the left, the title on top, the x tick
    /// labels and axis label below, and `legendWidth` on the right (0 for no legend).
    init(width: Double, height: Double, legendWidth: Double) {
        self.width = width; self.height = height
        left = 72; top = 44; bottom = height - 56; right = width - 20 - legendWidth
    }

    var plotWidth: Double { right - left }
    var plotHeight: Double { bottom - top }

    func xScale(_ domain: ClosedRange<Double>) -> LinearScale { LinearScale(domain: domain, range: left...right) }
    func yScale(_ domain: ClosedRange<Double>) -> LinearScale { LinearScale(domain: domain, range: top...bottom, flipped: true) }

    func begin(title: String, font: String) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height, fontFamily: font)
        svg.title(title)
        svg.text(title, x: width / 2, y: 24, anchor: .middle, size: 15, bold: true, cssClass: "title")
        return svg
    }

    /// Grid lines, the axes' lines, tick marks and tick labels, and the axis labels. `xTicks` nil leaves
    /// the x axis unlabelled (bar charts label categories themselves).
    func drawAxes(_ svg: inout SVGDocument, xTicks: Ticks?, yTicks: Ticks, x: LinearScale, y: LinearScale,
                  xLabel: String, yLabel: String) {
        svg.beginGroup(cssClass: "axes")
        for v in yTicks.values {
            let py = y(v)
            svg.line(x1: left, y1: py, x2: right, y2: py, stroke: "#e0e0e0", width: 1, cssClass: "grid")
            svg.line(x1: left - 5, y1: py, x2: left, y2: py, stroke: "#333333", width: 1, cssClass: "tick")
            svg.text(yTicks.label(v), x: left - 8, y: py + 4, anchor: .end, size: 11, cssClass: "tick-label")
        }
        if let xTicks {
            for v in xTicks.values {
                let px = x(v)
                svg.line(x1: px, y1: top, x2: px, y2: bottom, stroke: "#f0f0f0", width: 1, cssClass: "grid")
                svg.line(x1: px, y1: bottom, x2: px, y2: bottom + 5, stroke: "#333333", width: 1, cssClass: "tick")
                svg.text(xTicks.label(v), x: px, y: bottom + 18, anchor: .middle, size: 11, cssClass: "tick-label")
            }
        }
        svg.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: "#333333", width: 1, cssClass: "axis")
        svg.line(x1: left, y1: top, x2: left, y2: bottom, stroke: "#333333", width: 1, cssClass: "axis")
        svg.text(xLabel, x: (left + right) / 2, y: height - 14, anchor: .middle, size: 12, cssClass: "axis-label")
        svg.text(yLabel, x: 18, y: (top + bottom) / 2, anchor: .middle, size: 12, rotate: -90, cssClass: "axis-label")
        svg.endGroup()
    }

    /// One legend row per name: a swatch (a line for line charts, a square otherwise) and the name.
    func drawLegend(_ svg: inout SVGDocument, names: [String], colors: [String], lines: Bool) {
        guard !names.isEmpty else { return }
        svg.beginGroup(cssClass: "legend")
        let x0 = right + 16
        for (k, name) in names.enumerated() {
            let y = top + 8 + Double(k) * 20
            if lines {
                svg.line(x1: x0, y1: y, x2: x0 + 18, y2: y, stroke: colors[k], width: 2.5, cssClass: "legend-swatch")
            } else {
                svg.rect(x: x0 + 3, y: y - 6, width: 12, height: 12, fill: colors[k], cssClass: "legend-swatch")
            }
            svg.text(name, x: x0 + 24, y: y + 4, size: 11, cssClass: "legend-label")
        }
        svg.endGroup()
    }

    /// Room for a legend of these names (an estimate of the text width at 11 px).
    static func legendWidth(_ names: [String]) -> Double {
        guard let longest = names.map(\.count).max() else { return 0 }
        return min(220, 36 + 6.5 * Double(longest))
    }
}

/// The finite values of a collection, for domains.
func finiteExtent<S: Sequence>(_ values: S) -> ClosedRange<Double>? where S.Element == Double {
    var lo = Double.infinity, hi = -Double.infinity
    for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
    return lo <= hi ? lo...hi : nil
}
