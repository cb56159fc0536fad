import Foundation
import Testing

/// Where the fixtures live: `Tests/Fixtures`, found relative to this source file so tests need no bundle.
public let fixturesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Compares two float sequences elementwise with |a − e| ≤ atol + rtol·|e| and, on failure, records the
/// maximum difference, where it occurs, and the first few mismatching pairs.
/// Returns the maximum absolute difference so a test can also report it.
@discardableResult
public func expectClose<A: Collection, E: Collection>(
    _ actual: A, _ expected: E, atol: Double, rtol: Double = 0, _ label: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) -> Double where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
    guard actual.count == expected.count else {
        Issue.record("\(label): count \(actual.count) != expected \(expected.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    var maxDiff = 0.0, maxIndex = -1, bad = 0
    var firstBad: [String] = []
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let av = Double(a), ev = Double(e)
        let diff = abs(av - ev)
        if diff > maxDiff || diff.isNaN { maxDiff = diff.isNaN ? .infinity : diff; maxIndex = i }
        if !(diff <= atol + rtol * abs(ev)) {
            bad += 1
            if firstBad.count < 5 { firstBad.append("[\(i)] \(av) vs \(ev)") }
        }
    }
    if bad > 0 {
        Issue.record(
            "\(label): \(bad)/\(actual.count) outside atol=\(atol) rtol=\(rtol); max |diff| \(maxDiff) at [\(maxIndex)]; first: \(firstBad.joined(separator: ", "))",
            sourceLocation: sourceLocation)
    }
    return maxDiff
}
