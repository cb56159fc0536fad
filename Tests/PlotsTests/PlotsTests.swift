import Foundation
import Plots
import Testing
import TestSupport

/// Every chart is well-formed SVG 1.1 (parsed with Foundation's XMLParser) with the elements its data
/// implies.
@Suite struct PlotsTests {
    func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> XMLCounter {
        let doc = try #require(XMLCounter.parse(svg), "not well-formed XML", sourceLocation: sourceLocation)
        // the root a browser needs
        #expect(doc.rootAttributes["xmlns"] == "http://www.w3.org/2000/svg", sourceLocation: sourceLocation)
        #expect(doc.rootAttributes["version"] == "1.1", sourceLocation: sourceLocation)
        let w = try #require(doc.rootAttributes["width"]), h = try #require(doc.rootAttributes["height"])
        #expect(doc.rootAttributes["viewBox"] == "0 0 \(w) \(h)", sourceLocation: sourceLocation)
        #expect(doc.rootAttributes["font-family"]?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "), sourceLocation: sourceLocation)
        #expect(!svg.contains("nan") && !svg.contains("inf"), sourceLocation: sourceLocation)
        return doc
    }

    @Test func lineChartHasALinePerSeriesAndAMarkerPerPoint() throws {
        let lambdas = stride(from: 0.0, through: 1.0, by: 0.1).map { $0 }
        let series = ["text-trained", "image-trained", "CapDec σ²=0.016"].enumerated().map { k, name in
            LineChart.Series(name: name, points: lambdas.map { (x: $0, y: Double(k) * 0.1 + $0 * $0) })
        }
        let chart = LineChart(title: "CIDEr vs λ", xLabel: "λ (mixup weight of the text embedding)", yLabel: "CIDEr",
                              series: series)
        let doc = try parse(chart.svg())
        #expect(doc.count(class: "line") == 3)
        #expect(doc.count(class: "marker") == 33)
        #expect(doc.count(class: "legend-label") == 3 && doc.count(class: "legend-swatch") == 3)
        #expect(doc.count(class: "series") == 3)
        #expect(doc.texts.contains("CIDEr vs λ") && doc.texts.contains("CapDec σ²=0.016"))
        #expect(doc.count(class: "tick-label") >= 6)
        // x ticks at the nice numbers 0, 0.2, ..., 1
        for label in ["0.0", "0.2", "1.0"] { #expect(doc.texts.contains(label)) }
    }

    @Test func scatterDrawsPointsAndSegmentsBetweenPairs() throws {
        let a = (0..<10).map { (x: Double($0), y: Double($0 % 3)) }
        let b = (0..<7).map { (x: Double($0) + 0.5, y: -Double($0)) }
        let segments = (0..<5).map { ScatterPlot.Segment(from: a[$0], to: b[$0]) }
        let plot = ScatterPlot(title: "PCA of the embeddings", xLabel: "PC 1", yLabel: "PC 2",
                               sets: [.init(name: "images", points: a), .init(name: "captions", points: b)],
                               segments: segments)
        let doc = try parse(plot.svg())
        #expect(doc.count(class: "point") == 17)
        #expect(doc.count(class: "segment") == 5)
        #expect(doc.count(class: "points") == 2)
        #expect(doc.count(class: "legend-label") == 2)
    }

    @Test func histogramBinsOverlaidSeries() throws {
        let before = (0..<100).map { 0.2 + Double($0) / 1000 }, after = (0..<60).map { 0.25 + Double($0) / 200 }
        var h = Histogram(title: "Matched-pair cosine", xLabel: "cosine",
                          series: [.init(name: "before", values: before), .init(name: "after ot", values: after + [.nan])],
                          bins: 12)
        let (edges, counts) = h.counts()
        #expect(edges.count == 13)
        #expect(counts.map { $0.reduce(0, +) } == [100, 60])   // NaN left out
        let doc = try parse(h.svg())
        #expect(doc.count(class: "bar") == 24)
        #expect(doc.count(class: "series") == 2)
        #expect(doc.texts.contains("count"))
        h.range = 0.3...0.4
        h.normalized = true
        let (_, clipped) = h.counts()
        #expect(clipped[0].reduce(0, +) == 100 - 100)   // all of `before` lies below 0.3
        #expect(clipped[1].reduce(0, +) == 21)           // 0.25 + k/200 in [0.3, 0.4]: k = 10...30
        let doc2 = try parse(h.svg())
        #expect(doc2.texts.contains("fraction"))
    }

    @Test func barChartGroupsBarsByCategory() throws {
        let chart = BarChart(title: "Alignment methods", yLabel: "CIDEr", categories: ["none", "mean", "rotation", "ot"],
                             series: [.init(name: "transformer", values: [0.1, 0.4, -0.2, 0.5]),
                                      .init(name: "mlp", values: [0.05, 0.3, .nan, 0.45])])
        let doc = try parse(chart.svg())
        #expect(doc.count(class: "bar") == 7)   // the NaN bar is not drawn
        #expect(doc.count(class: "category-label") == 4)
        #expect(doc.count(class: "legend-label") == 2)
        // a single series needs no legend
        let single = BarChart(title: "t", yLabel: "y", categories: ["a"], series: [.init(name: "s", values: [1])])
        #expect(try parse(single.svg()).count(class: "legend-label") == 0)
    }

    @Test func textIsEscaped() throws {
        let nasty = "a < b & \"c\" > 'd' \u{1} e"
        let chart = LineChart(title: nasty, xLabel: "x&y", yLabel: "<y>", series: [.init(name: "</text>", points: [(x: 0, y: 1)])])
        let doc = try parse(chart.svg())
        #expect(doc.texts.contains("a < b & \"c\" > 'd' \u{FFFD} e"))
        #expect(doc.texts.contains("</text>") && doc.texts.contains("x&y") && doc.texts.contains("<y>"))
        #expect(SVGDocument.escape("<&>\"'") == "&lt;&amp;&gt;&quot;&apos;")
    }

    @Test func emptyAndNonFiniteDataStillMakeValidDocuments() throws {
        _ = try parse(LineChart(title: "empty", xLabel: "x", yLabel: "y", series: []).svg())
        let odd = LineChart(title: "odd", xLabel: "x", yLabel: "y",
                            series: [.init(name: "s", points: [(x: .nan, y: 1), (x: 1, y: .infinity), (x: 2, y: 3)])])
        let doc = try parse(odd.svg())
        #expect(doc.count(class: "marker") == 1)
        _ = try parse(ScatterPlot(title: "s", xLabel: "x", yLabel: "y", sets: []).svg())
        _ = try parse(Histogram(title: "h", xLabel: "x", series: [.init(name: "one value", values: [0.5])]).svg())
        _ = try parse(BarChart(title: "b", yLabel: "y", categories: [], series: []).svg())
    }

    @Test func ticksAreNiceNumbers() {
        let t = Ticks(lo: 0.13, hi: 0.87)
        #expect(t.step == 0.2)
        #expect(t.values.first! <= 0.13 && t.values.last! >= 0.87)
        #expect(t.values.map(t.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let big = Ticks(lo: 0, hi: 1234)
        #expect(big.step == 500 && big.values.map(big.label) == ["0", "500", "1000", "1500"])
        let flat = Ticks(lo: 3, hi: 3)
        #expect(flat.values.first! < 3 && flat.values.last! > 3)
        let scale = LinearScale(domain: 0...10, range: 100...200, flipped: true)
        #expect(scale(0) == 200 && scale(10) == 100)
    }

    @Test func writeIsAtomicAndComplete() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("chart.svg")
        let chart = BarChart(title: "t", yLabel: "y", categories: ["a", "b"], series: [.init(name: "s", values: [1, 2])])
        try chart.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == chart.svg())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["chart.svg"])
    }
}
