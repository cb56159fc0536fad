import Foundation
import Testing
import Tensor
import Models
import Decoding
import TestSupport

/// One case of Tests/Fixtures/decoding/*.json (written by Tests/Fixtures/gen_decoding.py).
struct DecodingCase: Decodable, CustomTestStringConvertible {
    var name = ""
    let prefixShape: [Int]
    let prefixValues: [Float]
    let startTokens: [Int]
    let stopTokens: [Int]
    let maxNewTokens: Int
    let strategy: String
    let beamWidth: Int
    /// Start tokens, then the generated tokens through the first stop token.
    let expected: [[Int]]
    /// Beam cases: transformers' beam search output, and whether it equals the official ClipCap ranking's.
    let hf: [[Int]]?
    let hfAgrees: [Bool]?

    enum CodingKeys: String, CodingKey {
        case prefixShape = "prefix_shape", prefixValues = "prefix", startTokens = "start_tokens"
        case stopTokens = "stop_tokens", maxNewTokens = "max_new_tokens", strategy, beamWidth = "beam_width"
        case expected, hf, hfAgrees = "hf_agrees"
    }

    var testDescription: String { name }
    var prefix: Tensor { Tensor(shape: prefixShape, values: prefixValues) }

    var options: DecodingOptions {
        DecodingOptions(strategy: strategy == "beam" ? .beam(width: beamWidth) : .greedy, maxLength: maxNewTokens,
                        stopTokens: Set(stopTokens), startTokens: startTokens)
    }

    static let greedyNames = ["greedy_eos", "greedy_eos_start", "greedy_period", "greedy_period_start"]
    static let beamNames = ["beam_eos", "beam_eos_start", "beam_period", "beam_period_start"]

    static func load(_ name: String) throws -> DecodingCase {
        let url = fixturesDirectory.appendingPathComponent("decoding/\(name).json")
        var c = try JSONDecoder().decode(DecodingCase.self, from: Data(contentsOf: url))
        c.name = name
        return c
    }
}

/// The tiny GPT-2 fixture (vocabulary 120, end token 119, 40 positions), loaded once.
enum TinyModel {
    static let gpt2: GPT2 = {
        do { return try GPT2(folder: fixturesDirectory.appendingPathComponent("tiny-gpt2")) } catch {
            preconditionFailure("Tests/Fixtures/tiny-gpt2 does not load: \(error)")
        }
    }()
    static var decoder: CaptionDecoder { CaptionDecoder(gpt2: gpt2) }
    static let eos = 119
    /// The stand-in for "." in the fixtures (see gen_decoding.py).
    static let period = 106
}

/// Row r of a (B, P, C) tensor as a (1, P, C) tensor.
func row(_ prefix: Tensor, _ r: Int) -> Tensor {
    prefix.rows(r, 1)
}
