import Data
import Foundation
import Tensor

/// What a run folder (DESIGN.md §8) holds, read for reports: the resolved manifest, provenance, the CSV
/// tables (metrics, gap reports, mixup, the training log) and the SVG plots. Missing parts are simply
/// absent; a folder with none of them is an error.
public struct RunFolder {
    public struct NamedTable {
        /// Path relative to the run folder, e.g. "gap/stats.csv".
        public var path: String
        public var table: CSVReader.Table
    }

    public let url: URL
    public let name: String
    public let manifestYAML: String?
    public let provenance: String?
    public let metrics: NamedTable?
    public let trainLog: NamedTable?
    /// gap/*.csv, sorted by name.
    public let gapTables: [NamedTable]
    /// plots/*.svg (path relative to the run folder, SVG text), sorted by name.
    public let plots: [(path: String, svg: String)]

    public init(_ url: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError.missingFile(url.path + " (run folder)")
        }
        self.url = url
        name = url.standardizedFileURL.lastPathComponent
        func text(_ relative: String) throws -> String? {
            let file = url.appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            return String(decoding: try TextFiles.read(file), as: UTF8.self)
        }
        func table(_ relative: String) throws -> NamedTable? {
            let file = url.appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            return NamedTable(path: relative, table: try CSVReader.read(file))
        }
        func listing(_ folder: String, _ ext: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.appendingPathComponent(folder).path)) ?? []
            return names.filter { $0.hasSuffix(ext) }.sorted().map { "\(folder)/\($0)" }
        }
        manifestYAML = try text("manifest.resolved.yaml")
        provenance = try text("provenance.json")
        metrics = try table("metrics.csv")
        trainLog = try table("train_log.csv")
        gapTables = try listing("gap", ".csv").compactMap(table)
        plots = try listing("plots", ".svg").compactMap { path in try text(path).map { (path, $0) } }
        guard manifestYAML != nil || metrics != nil || trainLog != nil || !gapTables.isEmpty || !plots.isEmpty else {
            throw DataError.malformed(file: url.path, line: nil,
                                      reason: "not a run folder: no manifest.resolved.yaml, metrics.csv, train_log.csv, gap/*.csv or plots/*.svg")
        }
    }
}

/// Exports a run folder as a Jupyter notebook (nbformat 4.5) or as Markdown: a narrative of what ran and
/// with which settings, the metrics and gap tables as Markdown tables, the SVG plots (embedded as outputs
/// in the notebook, linked in Markdown), and Python cells that reload the run's CSVs with pandas.
public enum RunReport {
    public enum Format: String, CaseIterable, Sendable { case ipynb, md }

    /// A Markdown table; at most `maxRows` rows (a note says how many were left out).
    static func markdownTable(_ t: CSVReader.Table, maxRows: Int = 40) -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var lines = ["| " + t.header.map(cell).joined(separator: " | ") + " |",
                     "|" + String(repeating: " --- |", count: t.header.count)]
        for row in t.rows.prefix(maxRows) { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
        if t.rows.count > maxRows { lines.append("\n(\(t.rows.count - maxRows) more rows in the CSV)") }
        return lines.joined(separator: "\n")
    }

    /// The training log in brief: steps, first and last loss.
    static func trainingSummary(_ t: CSVReader.Table) -> String? {
        guard let step = t.column("step"), let loss = t.column("loss"), let first = t.rows.first, let last = t.rows.last else { return nil }
        return "Training ran \(t.rows.count) logged steps (last step \(last[step])): loss \(first[loss]) at the start, \(last[loss]) at the end."
    }

    /// The sections of the report, in order, each as Markdown text with optional code and an SVG.
    struct Section {
        var markdown: String
        var code: String? = nil
        /// A plot: its path in the run folder and its SVG text.
        var plot: (path: String, svg: String)? = nil
    }

    static func sections(_ run: RunFolder, pathFromOutput: String) -> [Section] {
        var out: [Section] = []
        var intro = "# Run `\(run.name)`\n\nExported by `clipcap export notebook` from `\(run.url.relativePath)`."
        var parts: [String] = []
        if run.trainLog != nil { parts.append("training (`train_log.csv`)") }
        if run.metrics != nil { parts.append("caption metrics (`metrics.csv`)") }
        if !run.gapTables.isEmpty { parts.append("gap analysis (" + run.gapTables.map { "`\($0.path)`" }.joined(separator: ", ") + ")") }
        if !run.plots.isEmpty { parts.append("\(run.plots.count) plots") }
        if !parts.isEmpty { intro += " The run folder holds " + parts.joined(separator: ", ") + "." }
        out.append(Section(markdown: intro))
        if let yaml = run.manifestYAML {
            out.append(Section(markdown: "## Settings\n\nThe resolved manifest (every default filled in):\n\n```yaml\n\(yaml.trimmingCharacters(in: .whitespacesAndNewlines))\n```"))
        }
        if let provenance = run.provenance {
            out.append(Section(markdown: "## Provenance\n\n```json\n\(provenance.trimmingCharacters(in: .whitespacesAndNewlines))\n```"))
        }
        let setup = """
            from pathlib import Path
            import pandas as pd
            RUN = Path(\(pythonString(pathFromOutput)))  # the run folder, relative to this notebook
            """
        out.append(Section(markdown: "## Reloading the run\n\nThe cells below read the run's CSVs with pandas, for further analysis.", code: setup))
        if let log = run.trainLog {
            var md = "## Training\n\n"
            md += trainingSummary(log.table) ?? "The training log is empty."
            out.append(Section(markdown: md, code: """
                train_log = pd.read_csv(RUN / "\(log.path)")
                train_log.plot(x="step", y="loss", logy=True, title="training loss")
                """))
        }
        if let metrics = run.metrics {
            out.append(Section(markdown: "## Caption metrics\n\n" + markdownTable(metrics.table),
                               code: "metrics = pd.read_csv(RUN / \"\(metrics.path)\")\nmetrics"))
        }
        for gap in run.gapTables {
            let stem = URL(fileURLWithPath: gap.path).deletingPathExtension().lastPathComponent
            let variable = "gap_" + stem.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            out.append(Section(markdown: "## Gap: `\(gap.path)`\n\n" + markdownTable(gap.table),
                               code: "\(variable) = pd.read_csv(RUN / \"\(gap.path)\")\n\(variable)"))
        }
        for plot in run.plots {
            out.append(Section(markdown: "### Plot: `\(plot.path)`", code: "from IPython.display import SVG\nSVG(filename=str(RUN / \"\(plot.path)\"))",
                               plot: plot))
        }
        return out
    }

    static func pythonString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The report as a notebook or Markdown document. `output` is where it will be written (links and
    /// the notebook's RUN path are made relative to it).
    public static func render(_ run: RunFolder, format: Format, output: URL) -> String {
        let relative = relativePath(from: output.deletingLastPathComponent(), to: run.url)
        let sections = sections(run, pathFromOutput: relative)
        switch format {
        case .md:
            return sections.map { section -> String in
                var text = section.markdown
                if let plot = section.plot {
                    text += "\n\n![\(plot.path)](\(relative)/\(plot.path))"
                } else if let code = section.code {
                    text += "\n\n```python\n\(code)\n```"
                }
                return text
            }.joined(separator: "\n\n") + "\n"
        case .ipynb:
            var cells: [JSONValue] = []
            func source(_ text: String) -> JSONValue {
                // nbformat stores source as a list of lines, each keeping its "\n" but the last
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                return .array(lines.enumerated().map { .string($0.offset < lines.count - 1 ? $0.element + "\n" : $0.element) })
            }
            for section in sections {
                cells.append(.object(["cell_type": .string("markdown"), "id": .string("cell-\(cells.count)"),
                                      "metadata": .object([:]), "source": source(section.markdown)]))
                if let code = section.code {
                    var outputs: [JSONValue] = []
                    if let svg = section.plot?.svg {
                        outputs.append(.object(["output_type": .string("display_data"), "metadata": .object([:]),
                                                "data": .object(["image/svg+xml": source(svg), "text/plain": .array([.string("<IPython.core.display.SVG object>")])])]))
                    }
                    cells.append(.object(["cell_type": .string("code"), "id": .string("cell-\(cells.count)"),
                                          "metadata": .object([:]), "execution_count": .null, "outputs": .array(outputs),
                                          "source": source(code)]))
                }
            }
            let notebook: JSONValue = .object([
                "nbformat": .int(4), "nbformat_minor": .int(5),
                "metadata": .object([
                    "kernelspec": .object(["name": .string("python3"), "display_name": .string("Python 3"), "language": .string("python")]),
                    "language_info": .object(["name": .string("python")]),
                ]),
                "cells": .array(cells),
            ])
            return notebook.description + "\n"
        }
    }

    /// Writes the report atomically.
    public static func export(run: URL, to output: URL, format: Format) throws {
        let folder = try RunFolder(run)
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicWrite.write(Foundation.Data(render(folder, format: format, output: output).utf8), to: output)
    }

    /// `to` relative to the folder `from` ("../runs/demo"), both resolved against the current directory.
    static func relativePath(from: URL, to: URL) -> String {
        let a = from.standardizedFileURL.pathComponents, b = to.standardizedFileURL.pathComponents
        var common = 0
        while common < min(a.count, b.count), a[common] == b[common] { common += 1 }
        let parts = Array(repeating: "..", count: a.count - common) + b[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
