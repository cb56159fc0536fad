import Foundation

/// Wall-clock timing for the benchmark commands (`clipcap bench`), shared by every hot path that is timed.
public enum Stopwatch {
    /// Monotonic seconds since an arbitrary start.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Runs `body` `warmup` times untimed, then `repetitions` times timed; the times in seconds, sorted.
    public static func time(repetitions: Int, warmup: Int, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<max(0, warmup) { try body() }
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let t0 = now()
            try body()
            times.append(now() - t0)
        }
        return times.sorted()
    }

    /// The median of `values` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Peak resident set size of this process (VmHWM from /proc/self/status), in MiB; 0 where /proc is missing.
    public static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }
}
