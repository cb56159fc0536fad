import Testing
import Metrics

@Test func metricsTargetBuilds() { #expect(Bool(true)) }
