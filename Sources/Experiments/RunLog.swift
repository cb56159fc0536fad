import Foundation

/// Where a run reports: stderr (one progress line redrawn in place on a terminal; plain timestamped lines
/// otherwise) and, always, timestamped lines appended to the run folder's log.txt.
public final class RunLog: @unchecked Sendable {
    private let file: FileHandle?
    private let interactive: Bool
    private let echo: Bool
    private var progressShown = false
    private let formatter = ISO8601DateFormatter()
    private let lock = NSLock()

    /// `url`: the log.txt to append to (created when missing); nil logs to stderr only. `echo: false`
    /// keeps stderr quiet (tests).
    public init(url: URL?, echo: Bool = true) throws {
        if let url {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
            file = try FileHandle(forWritingTo: url)
            file?.seekToEndOfFile()
        } else {
            file = nil
        }
        interactive = echo && isatty(STDERR_FILENO) != 0
        self.echo = echo
    }

    deinit { try? file?.close() }

    /// A line worth keeping: stderr and log.txt.
    public func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        let stamped = "[\(formatter.string(from: Date()))] \(text)\n"
        file?.write(Data(stamped.utf8))
        guard echo else { return }
        if interactive {
            FileHandle.standardError.write(Data(((progressShown ? "\r\u{1B}[2K" : "") + text + "\n").utf8))
            progressShown = false
        } else {
            FileHandle.standardError.write(Data(stamped.utf8))
        }
    }

    /// A progress update: redrawn in place on a terminal; elsewhere (and in log.txt) only when `keep`
    /// (callers pass keep for every tenth of the work, say), so logs stay short.
    public func progress(_ text: String, keep: Bool) {
        if interactive {
            lock.lock()
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
            progressShown = true
            lock.unlock()
            if keep {
                lock.lock(); file?.write(Data("[\(formatter.string(from: Date()))] \(text)\n".utf8)); lock.unlock()
            }
        } else if keep {
            line(text)
        }
    }

    /// "12.3s", "4m05s", "1h02m".
    public static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }
}
