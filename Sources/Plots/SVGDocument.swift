import Foundation

/// A small SVG 1.1 writer: a fixed-size canvas, elements appended in drawing order, text escaped.
///
/// The output is a standalone document that browsers and XML parsers open: an XML declaration, the SVG
/// namespace, `version="1.1"`, `width`/`height` in pixels, a matching `viewBox`, and a `font-family` on
/// the root that every text inherits. Numbers are written with at most two decimals (never NaN or an
/// infinity: such points are dropped by the charts before they get here).
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    public var fontFamily: String
    public var fontSize: Double
    private var body: [String] = []
    private var depth = 1

    public init(width: Double, height: Double, fontFamily: String = "Helvetica, Arial, sans-serif", fontSize: Double = 12) {
        self.width = width; self.height = height; self.fontFamily = fontFamily; self.fontSize = fontSize
    }

    /// Appends a raw element line (already well-formed SVG).
    private mutating func emit(_ element: String) {
        body.append(String(repeating: "  ", count: depth) + element)
    }

    /// `<title>`: the accessible name of the picture (also shown as a tooltip).
    public mutating func title(_ text: String) {
        emit("<title>\(SVGDocument.escape(text))</title>")
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                              stroke: String? = nil, opacity: Double? = nil, cssClass: String? = nil) {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(SVGDocument.escape(fill))\""
        if let stroke { a += " stroke=\"\(SVGDocument.escape(stroke))\"" }
        if let opacity { a += " fill-opacity=\"\(n(opacity))\"" }
        emit("<rect \(a)\(classAttribute(cssClass))/>")
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                              opacity: Double? = nil, dashed: Bool = false, cssClass: String? = nil) {
        var a = "x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(SVGDocument.escape(stroke))\" stroke-width=\"\(n(width))\""
        if let opacity { a += " stroke-opacity=\"\(n(opacity))\"" }
        if dashed { a += " stroke-dasharray=\"4 3\"" }
        emit("<line \(a)\(classAttribute(cssClass))/>")
    }

    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, cssClass: String? = nil) {
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        emit("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(SVGDocument.escape(stroke))\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(classAttribute(cssClass))/>")
    }

    public mutating func circle(cx: Double, cy: Double, r: Double, fill: String, opacity: Double? = nil, cssClass: String? = nil) {
        var a = "cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(r))\" fill=\"\(SVGDocument.escape(fill))\""
        if let opacity { a += " fill-opacity=\"\(n(opacity))\"" }
        emit("<circle \(a)\(classAttribute(cssClass))/>")
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    /// Text at (x, y) (the baseline), escaped; `rotate` turns it about (x, y), in degrees.
    public mutating func text(_ s: String, x: Double, y: Double, anchor: Anchor = .start, size: Double? = nil,
                              bold: Bool = false, rotate: Double? = nil, cssClass: String? = nil) {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor.rawValue)\""
        if let size { a += " font-size=\"\(n(size))\"" }
        if bold { a += " font-weight=\"bold\"" }
        if let rotate { a += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        emit("<text \(a)\(classAttribute(cssClass))>\(SVGDocument.escape(s))</text>")
    }

    /// Opens a `<g>`; close it with `endGroup()`.
    public mutating func beginGroup(cssClass: String? = nil, label: String? = nil) {
        var a = ""
        if let label { a += " aria-label=\"\(SVGDocument.escape(label))\"" }
        emit("<g\(classAttribute(cssClass))\(a)>")
        depth += 1
    }

    public mutating func endGroup() {
        precondition(depth > 1, "endGroup() without beginGroup()")
        depth -= 1
        emit("</g>")
    }

    /// The complete document.
    public func render() -> String {
        precondition(depth == 1, "a group was left open")
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"\(SVGDocument.escape(fontFamily))\" font-size=\"\(n(fontSize))\">\n"
        out += "  <rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>\n"
        for line in body { out += line + "\n" }
        out += "</svg>\n"
        return out
    }

    /// Text and attribute values with the five XML special characters escaped, and characters XML 1.0
    /// forbids (control characters other than tab, LF, CR) replaced by U+FFFD.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private func classAttribute(_ c: String?) -> String {
        c.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
    }

    /// A coordinate with at most two decimals, without trailing zeros ("12", "3.5", "-0.25").
    private func n(_ x: Double) -> String { SVGDocument.number(x) }

    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 100).rounded() / 100
        if r == r.rounded() && abs(r) < 1e15 { return String(Int(r)) }
        var s = String(format: "%.2f", r)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}

/// A chart that renders to an SVG document.
public protocol Plot {
    /// The complete SVG document.
    func svg() -> String
}

extension Plot {
    /// Writes the SVG atomically (Foundation writes a temporary file and renames it over `url`).
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(svg().utf8).write(to: url, options: .atomic)
    }
}
