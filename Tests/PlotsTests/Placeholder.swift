import Testing
import Plots

@Test func plotsTargetBuilds() { #expect(Bool(true)) }
