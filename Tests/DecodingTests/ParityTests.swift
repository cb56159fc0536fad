import Foundation
import Testing
import Tensor
import Models
import Decoding
import TestSupport

/// Greedy and beam outputs, token for token, against the fixtures of Tests/Fixtures/gen_decoding.py:
/// greedy against transformers' `generate`, beam against the official ClipCap `generate_beam` ranking (and
/// against transformers' beam search on the rows where the two rankings agree).
@Suite struct ParityTests {
    @Test(arguments: DecodingCase.greedyNames)
    func greedyEqualsTransformersGenerate(_ name: String) throws {
        let c = try DecodingCase.load(name)
        let got = try TinyModel.decoder.decode(prefix: c.prefix, options: c.options)
        #expect(got == c.expected, "\(name)")
    }

    @Test(arguments: DecodingCase.beamNames)
    func beamEqualsOfficialClipCapRanking(_ name: String) throws {
        let c = try DecodingCase.load(name)
        let got = try TinyModel.decoder.decode(prefix: c.prefix, options: c.options)
        #expect(got == c.expected, "\(name)")
        // transformers agrees exactly where the fixture says so, and differs on the other rows
        let hf = try #require(c.hf), agrees = try #require(c.hfAgrees)
        for r in got.indices {
            #expect((got[r] == hf[r]) == agrees[r], "\(name) row \(r): ours \(got[r]), transformers \(hf[r])")
        }
    }

    /// The fixtures cover what they are meant to: rows that stop early on the stop token and rows that run to
    /// the maximum length, with and without start words, and beam rows where transformers differs.
    @Test func fixturesCoverEarlyStopsAndFullLengths() throws {
        var beamDisagreements = 0
        for name in DecodingCase.greedyNames + DecodingCase.beamNames {
            let c = try DecodingCase.load(name)
            let generated = c.expected.map { Array($0.dropFirst(c.startTokens.count)) }
            #expect(c.expected.allSatisfy { Array($0.prefix(c.startTokens.count)) == c.startTokens })
            #expect(generated.contains { $0.count < c.maxNewTokens && c.stopTokens.contains($0.last!) }, "\(name): no early stop")
            #expect(generated.contains { $0.count == c.maxNewTokens }, "\(name): no row at full length")
            beamDisagreements += c.hfAgrees?.filter { !$0 }.count ?? 0
        }
        #expect(beamDisagreements > 0)
    }

    /// The `period` rule: generation stops right after the first period token, which is kept.
    @Test(arguments: ["greedy_period", "greedy_period_start", "beam_period", "beam_period_start"])
    func periodRuleStopsOnThePeriodToken(_ name: String) throws {
        let c = try DecodingCase.load(name)
        #expect(c.stopTokens == [TinyModel.period])
        let got = try TinyModel.decoder.decode(prefix: c.prefix, options: c.options)
        var stopped = 0
        for caption in got {
            let generated = Array(caption.dropFirst(c.startTokens.count))
            let firstPeriod = generated.firstIndex(of: TinyModel.period)
            if let firstPeriod {
                #expect(firstPeriod == generated.count - 1, "\(name): tokens after the period: \(generated)")
                stopped += 1
            } else {
                #expect(generated.count == c.maxNewTokens)
            }
        }
        #expect(stopped > 0)
    }
}
