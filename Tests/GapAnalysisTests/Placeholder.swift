import Testing
import GapAnalysis

@Test func gapAnalysisTargetBuilds() { #expect(Bool(true)) }
