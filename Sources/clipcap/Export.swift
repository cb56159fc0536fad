import ArgumentParser
import Experiments
import Foundation

/// `clipcap export notebook RUN_DIR --out FILE`: a run folder as a Jupyter notebook or Markdown.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run folder as a report.",
        subcommands: [ExportNotebook.self])
}

struct ExportNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Write a run folder as a Jupyter notebook (nbformat 4.5) or Markdown.",
        discussion: """
        The report holds a narrative (what ran, the resolved manifest, provenance), the metrics and gap CSVs \
        as Markdown tables, the SVG plots (embedded as cell outputs in the notebook, linked in Markdown) and \
        Python cells that reload the CSVs with pandas; paths in it are relative to --out. Written atomically.
        """)

    @Argument(help: "Run folder (runs/NAME).") var runDir: String
    @Option(help: "Output file (.ipynb, or .md with --format md).") var out: String
    @Option(help: "ipynb | md (default: from --out's extension).") var format: String?

    func validate() throws {
        if let format, RunReport.Format(rawValue: format) == nil { throw ValidationError("--format must be ipynb or md, got '\(format)'") }
        guard resolvedFormat != nil else { throw ValidationError("--out must end in .ipynb or .md (or give --format)") }
    }

    var resolvedFormat: RunReport.Format? {
        format.flatMap(RunReport.Format.init(rawValue:)) ?? RunReport.Format(rawValue: URL(fileURLWithPath: out).pathExtension)
    }

    func run() throws {
        guard let format = resolvedFormat else { throw ValidationError("--out must end in .ipynb or .md") }
        try RunReport.export(run: URL(fileURLWithPath: runDir), to: URL(fileURLWithPath: out), format: format)
        FileHandle.standardError.write(Data("wrote \(out)\n".utf8))
    }
}
