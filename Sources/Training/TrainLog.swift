import Data
import Foundation

/// One row of `train_log.csv` (DESIGN.md §8, §9): one optimizer step.
public struct TrainLogRow: Sendable, Equatable {
    /// The 0-based optimizer step t (the batch `TrainingData.batch(step:)` gives, and the index of the
    /// learning-rate multiplier lr_lambda(t) its update used).
    public var step: Int
    public var epoch: Int
    /// The mean cross-entropy over the batch's caption tokens and EOS, computed before update t (§5).
    public var loss: Double
    /// The learning rate update t used.
    public var lr: Double
    public var tokensPerSecond: Double

    public init(step: Int, epoch: Int, loss: Double, lr: Double, tokensPerSecond: Double) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.lr = lr; self.tokensPerSecond = tokensPerSecond
    }

    /// The CSV fields; numbers in Swift's shortest round-trip spelling, so the log reads back exactly.
    var fields: [String] { [String(step), String(epoch), "\(loss)", "\(lr)", "\(tokensPerSecond)"] }
}

/// Appends `step,epoch,loss,lr,tokens_per_s` rows to `train_log.csv`.
///
/// Each row goes out as one `write(2)` of the whole line followed by `fsync`, so a crash leaves whole rows
/// and at most a torn last line, which opening for resume removes. Opening at step s keeps only the rows
/// of steps before s (rewritten atomically), so a resumed run's log reads like an uninterrupted one.
public final class TrainLog {
    public static let header = ["step", "epoch", "loss", "lr", "tokens_per_s"]

    public let url: URL
    private let fd: Int32

    /// Opens `url` for a run that continues at 0-based step `resumeStep`: rows with step ≥ `resumeStep` (and
    /// a torn last line) are dropped; with 0, or without a file, the log starts afresh with the header.
    /// Throws `DataError` when an existing log has another header or a malformed row.
    public init(url: URL, resumeStep: Int = 0) throws {
        self.url = url
        let fm = FileManager.default
        if resumeStep > 0, fm.fileExists(atPath: url.path) {
            let kept = try Self.read(url, dropTornLine: true).filter { $0.step < resumeStep }
            try CSVWriter.write(header: Self.header, rows: kept.map(\.fields), to: url)
        } else {
            try CSVWriter.write(header: Self.header, rows: [], to: url)
        }
        fd = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw DataError.unreadable(file: url.path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(fd) }

    /// Appends one row: the whole line in a single write, then fsync.
    public func append(_ row: TrainLogRow) throws {
        let line = Array((row.fields.joined(separator: ",") + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            let reason = written < 0 ? String(cString: strerror(errno)) : "short write (\(written) of \(line.count) bytes)"
            throw DataError.unreadable(file: url.path, reason: "cannot append a log row: \(reason)")
        }
        guard fsync(fd) == 0 else {
            throw DataError.unreadable(file: url.path, reason: "cannot sync the log: \(String(cString: strerror(errno)))")
        }
    }

    /// The rows of a log file; a torn last line (no final newline) is an error here, as it is data loss.
    public static func read(_ url: URL) throws -> [TrainLogRow] {
        try read(url, dropTornLine: false)
    }

    private static func read(_ url: URL, dropTornLine: Bool) throws -> [TrainLogRow] {
        guard let table = try table(url, dropTornLine: dropTornLine) else { return [] }
        return try zip(table.rows, table.lines).map { fields, line in
            guard let step = Int(fields[0]), let epoch = Int(fields[1]), let loss = Double(fields[2]),
                  let lr = Double(fields[3]), let speed = Double(fields[4]) else {
                throw DataError.malformed(file: url.path, line: line, reason: "expected numbers, found \(fields.joined(separator: ","))")
            }
            return TrainLogRow(step: step, epoch: epoch, loss: loss, lr: lr, tokensPerSecond: speed)
        }
    }

    /// The log as a table, after checking the header; nil for a file cut to nothing. With `dropTornLine`,
    /// bytes after the last newline are cut from the file first (all a crash mid-write can leave).
    private static func table(_ url: URL, dropTornLine: Bool) throws -> CSVReader.Table? {
        if dropTornLine {
            let bytes: Foundation.Data
            do { bytes = try Foundation.Data(contentsOf: url) } catch {
                throw DataError.unreadable(file: url.path, reason: error.localizedDescription)
            }
            let end = bytes.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            if end < bytes.count, truncate(url.path, off_t(end)) != 0 {
                throw DataError.unreadable(file: url.path, reason: "cannot cut a torn last row: \(String(cString: strerror(errno)))")
            }
            if end == 0 { return nil }   // even the header was torn: nothing was logged
        }
        let table = try CSVReader.read(url)
        guard table.header == header else {
            throw DataError.malformed(file: url.path, line: 1,
                reason: "expected the header \(header.joined(separator: ",")), found \(table.header.joined(separator: ","))")
        }
        return table
    }
}
