import Data
import Experiments
import Foundation
import Testing
import TestSupport

/// `clipcap export notebook`: the notebook validates against nbformat's own v4.5 JSON schema (committed
/// from the nbformat 5.11.1 wheel, BSD-3), and carries the tables, the plots and the pandas cells.
@Suite struct RunReportTests {
    let run: URL
    let out: URL

    init() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        run = root.appendingPathComponent("runs/demo")
        out = root.appendingPathComponent("Notebooks-export")
        for sub in ["gap", "plots"] {
            try FileManager.default.createDirectory(at: run.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try "name: demo\nseed: 0\n".write(to: run.appendingPathComponent("manifest.resolved.yaml"), atomically: true, encoding: .utf8)
        try CSVWriter.write(header: ["BLEU_1", "CIDEr"], rows: [["0.5", "0.25"]], to: run.appendingPathComponent("metrics.csv"))
        try CSVWriter.write(header: ["step", "epoch", "loss", "lr", "tokens_per_s"],
                            rows: [["1", "0", "5.0", "0.001", "100"], ["2", "0", "4.0", "0.001", "100"]],
                            to: run.appendingPathComponent("train_log.csv"))
        try CSVWriter.write(header: ["metric", "value"], rows: [["centroid_gap", "0.8"], ["a|b", "1"]],
                            to: run.appendingPathComponent("gap/stats.csv"))
        try "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">\n<circle cx=\"5\" cy=\"5\" r=\"2\"/>\n</svg>\n"
            .write(to: run.appendingPathComponent("plots/gap.svg"), atomically: true, encoding: .utf8)
    }

    @Test func notebookValidatesAsNbformat4() throws {
        let file = out.appendingPathComponent("demo.ipynb")
        try RunReport.export(run: run, to: file, format: .ipynb)
        let notebook = try JSONValue(parsing: String(decoding: Data(contentsOf: file), as: UTF8.self))
        let schema = try JSONSchema(contentsOf: fixturesDirectory.appendingPathComponent("nbformat/nbformat.v4.5.schema.json"))
        let errors = schema.validate(notebook)
        #expect(errors.isEmpty, "\(errors.prefix(5))")

        guard case .array(let cells)? = notebook["cells"] else { Issue.record("no cells"); return }
        func lines(_ value: JSONValue?) -> String {
            if case .array(let parts)? = value { return parts.compactMap(\.stringValue).joined() }
            return ""
        }
        func text(_ cell: JSONValue) -> String { lines(cell["source"]) }
        let markdown = cells.filter { $0["cell_type"]?.stringValue == "markdown" }.map(text).joined(separator: "\n")
        #expect(markdown.contains("| BLEU_1 | CIDEr |") && markdown.contains("| 0.5 | 0.25 |"))
        #expect(markdown.contains("| a\\|b | 1 |"), "a pipe in a cell is escaped")
        #expect(markdown.contains("name: demo"))
        #expect(markdown.contains("loss 5.0 at the start, 4.0 at the end"))
        let code = cells.filter { $0["cell_type"]?.stringValue == "code" }
        #expect(code.map(text).contains { $0.contains("RUN = Path(\"../runs/demo\")") })
        #expect(code.map(text).contains { $0.contains("pd.read_csv(RUN / \"gap/stats.csv\")") })
        let outputs = code.flatMap { cell -> [JSONValue] in
            if case .array(let list)? = cell["outputs"] { return list }
            return []
        }
        let svgOutputs = outputs.compactMap { $0["data"]?["image/svg+xml"] }.map { lines($0) }
        #expect(svgOutputs.count == 1 && svgOutputs[0].contains("<circle"))
    }

    @Test func schemaCheckerRejectsBrokenNotebooks() throws {
        let schema = try JSONSchema(contentsOf: fixturesDirectory.appendingPathComponent("nbformat/nbformat.v4.5.schema.json"))
        func notebook(_ cells: String, version: Int = 4) throws -> JSONValue {
            try JSONValue(parsing: #"{"nbformat": \#(version), "nbformat_minor": 5, "metadata": {}, "cells": [\#(cells)]}"#)
        }
        #expect(schema.validate(try notebook(#"{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "x"}"#)).isEmpty)
        #expect(!schema.validate(try notebook(#"{"cell_type": "markdown", "metadata": {}, "source": "x"}"#)).isEmpty, "no id")
        #expect(!schema.validate(try notebook(#"{"cell_type": "code", "id": "b", "metadata": {}, "source": "x", "execution_count": null, "outputs": [{"output_type": "display_data"}]}"#)).isEmpty,
                "display_data without data")
        #expect(!schema.validate(try notebook("", version: 3)).isEmpty)
    }

    @Test func markdownLinksPlotsAndShowsTables() throws {
        let file = out.appendingPathComponent("demo.md")
        try RunReport.export(run: run, to: file, format: .md)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("![plots/gap.svg](../runs/demo/plots/gap.svg)"))
        #expect(text.contains("| metric | value |"))
        #expect(text.contains("```python"))
    }

    @Test func notARunFolder() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: DataError.self) { try RunReport.export(run: empty, to: out.appendingPathComponent("x.ipynb"), format: .ipynb) }
        #expect(throws: DataError.self) {
            try RunReport.export(run: empty.appendingPathComponent("missing"), to: out.appendingPathComponent("x.ipynb"), format: .ipynb)
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("x.ipynb").path))
    }
}
