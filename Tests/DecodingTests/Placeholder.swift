import Testing
import Decoding

@Test func decodingTargetBuilds() { #expect(Bool(true)) }
