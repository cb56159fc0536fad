import Foundation

/// Progress on long work: on a terminal, one line redrawn in place with count, rate and ETA;
/// otherwise a plain timestamped line at most every 10 seconds and at the end. Writes to stderr.
final class ProgressLine {
    let label: String
    let total: Int
    let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let interactive = isatty(STDERR_FILENO) != 0
    private(set) var done = 0
    /// Shown after the count (e.g. the latest loss); set before `advance`.
    var note = ""

    /// Work done before this process (a resumed run): counted in `done`, not in the rate.
    private let initial: Int

    init(_ label: String, total: Int, unit: String, from initial: Int = 0) {
        self.label = label; self.total = total; self.unit = unit
        self.initial = initial; done = initial
    }

    func advance(by n: Int) {
        done += n
        let now = Date()
        let interval: TimeInterval = interactive ? 0.2 : 10
        if now.timeIntervalSince(lastDraw) >= interval || done >= total {
            lastDraw = now
            draw(final: done >= total)
        }
    }

    private func draw(final: Bool) {
        let elapsed = max(Date().timeIntervalSince(start), 1e-9)
        let rate = Double(done - initial) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = String(format: "%@ %d/%d %@%@ (%.1f %@/s, %@ %@)", label, done, total, unit, note.isEmpty ? "" : ", " + note,
                          rate, unit, final ? "took" : "ETA", Self.duration(final ? elapsed : eta))
        if interactive {
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)\(final ? "\n" : "")".utf8))
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date())
            FileHandle.standardError.write(Data("[\(stamp)] \(text)\n".utf8))
        }
    }

    static func duration(_ s: Double) -> String {
        s < 60 ? String(format: "%.1fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }
}
