import Foundation
import Tensor
import Models

/// Beam search ranked as the official ClipCap `generate_beam` ranks it (rmokady/CLIP_prefix_caption), for a
/// batch: B items × N beams are the B·N rows of one KV cache, reordered after every step.
///
/// For each item:
/// - Step 0: the N most likely first tokens start the N beams (score = log-probability, length 1).
/// - Later steps: a live beam proposes every token t with the average (score + log p(t)) / (length + 1); a
///   stopped beam proposes only itself, with score / length (the official code appends a dummy token 0 at
///   log-probability 0 without growing its length; we append nothing). The N proposals with the best average
///   become the beams. So a stopped beam keeps its slot and competes with the live ones by average, and can be
///   pushed out by a live proposal with a better one.
/// - A beam stops when it emits a stop token, which counts in its score and length.
/// - The search ends when every beam has stopped or after `maxLength` tokens; the beam with the best average
///   is the caption.
///
/// transformers' beam search with `length_penalty = 1` ranks finished hypotheses by the same average but keeps
/// them apart from N live beams that always keep growing, so the two agree until a stop token enters the kept
/// beams before the last step, and may differ after (Tests/Fixtures/gen_decoding.py shows both).
///
/// Only the best N tokens of each live beam's row can be among an item's best N proposals, so each row is
/// reduced to its top N and its log-normalizer before ranking (N² + N proposals per item instead of N·V).
struct BeamSearch {
    struct Beam {
        var tokens: [Int]        // generated tokens, the stop token included
        var score: Double        // summed log-probability
        var stopped: Bool
        var average: Double { score / Double(tokens.count) }
    }

    private struct Proposal {
        var average: Double
        var source: Int          // beam index within the item
        var token: Int           // −1: a stopped beam proposing itself
        var logProbability: Double
    }

    let gpt2: GPT2
    let width: Int
    let options: DecodingOptions

    init(gpt2: GPT2, width: Int, options: DecodingOptions) {
        self.gpt2 = gpt2
        self.width = width
        self.options = options
    }

    /// Token lists for each item of `prefix` (B, P, C): the start tokens, then the best beam.
    mutating func run(prefix: Tensor) throws -> [[Int]] {
        let b = prefix.shape[0], p = prefix.shape[1], c = prefix.shape[2], n = width, rows = b * n
        let v = gpt2.config.vocabSize
        // every item's prefix repeated N times: the cache cannot grow from B to B·N rows, so the prefix runs
        // over B·N rows (as transformers expands inputs_embeds by num_beams)
        var expanded = Tensor(uninitialized: [rows, p, c])
        for item in 0..<b {
            for k in 0..<n {
                (expanded.mutableData + (item * n + k) * p * c).update(from: prefix.data + item * p * c, count: p * c)
            }
        }
        var forward = IncrementalForward(gpt2: gpt2, rows: rows,
                                         capacity: CaptionDecoder.positions(prefixLength: p, options: options))
        var logits = try forward.start(prefix: expanded, startTokens: options.startTokens)

        // per row: its top N logits and indices, and log Σ exp(logits); reused every step
        var topValues = [Float](repeating: 0, count: rows * n)
        var topIndices = [Int](repeating: 0, count: rows * n)
        var normalizers = [Float](repeating: 0, count: rows)
        var live = [Bool](repeating: true, count: rows)
        func reduceRows() {
            topValues.withUnsafeMutableBufferPointer { tv in
                topIndices.withUnsafeMutableBufferPointer { ti in
                    normalizers.withUnsafeMutableBufferPointer { lse in
                        let tvp = tv.baseAddress!, tip = ti.baseAddress!, lsep = lse.baseAddress!
                        let lp = logits.data
                        Parallel.forEachChunk(rows, costPerItem: v) { range in
                            for r in range where live[r] {
                                topK(lp + r * v, v, n, values: tvp + r * n, indices: tip + r * n)
                                lsep[r] = logSumExp(lp + r * v, v)
                            }
                        }
                    }
                }
            }
        }

        // step 0: all rows of an item are equal; its first row starts the beams
        for item in 0..<b { for k in 1..<n { live[item * n + k] = false } }
        reduceRows()
        var beams: [[Beam]] = (0..<b).map { item in
            (0..<n).map { k in
                let r = item * n, token = topIndices[r * n + k]
                return Beam(tokens: [token], score: Double(topValues[r * n + k] - normalizers[r]),
                            stopped: options.stopTokens.contains(token))
            }
        }

        var proposals: [Proposal] = []
        proposals.reserveCapacity(n * n + n)
        var order = [Int](repeating: 0, count: rows)
        var next = [Int32](repeating: 0, count: rows)
        for _ in 1..<max(options.maxLength, 1) {
            if beams.allSatisfy({ $0.allSatisfy(\.stopped) }) { break }
            for item in 0..<b {
                for k in 0..<n {
                    let beam = beams[item][k]
                    live[item * n + k] = !beam.stopped
                    next[item * n + k] = Int32(beam.tokens.last!)   // a stopped beam's row is fed and ignored
                }
            }
            logits = try forward.step(next)
            reduceRows()
            for item in 0..<b {
                proposals.removeAll(keepingCapacity: true)
                for (k, beam) in beams[item].enumerated() {
                    if beam.stopped {
                        proposals.append(Proposal(average: beam.average, source: k, token: -1, logProbability: 0))
                        continue
                    }
                    let r = item * n + k, length = Double(beam.tokens.count + 1)
                    for j in 0..<n {
                        let lp = Double(topValues[r * n + j] - normalizers[r])
                        proposals.append(Proposal(average: (beam.score + lp) / length, source: k,
                                                  token: topIndices[r * n + j], logProbability: lp))
                    }
                }
                // best average first; ties by beam, then token (the official flat index order)
                proposals.sort {
                    $0.average != $1.average ? $0.average > $1.average
                        : $0.source != $1.source ? $0.source < $1.source : $0.token < $1.token
                }
                let old = beams[item]
                for k in 0..<n {
                    let chosen = proposals[k]
                    var beam = old[chosen.source]
                    if chosen.token >= 0 {
                        beam.tokens.append(chosen.token)
                        beam.score += chosen.logProbability
                        beam.stopped = options.stopTokens.contains(chosen.token)
                    }
                    beams[item][k] = beam
                    order[item * n + k] = item * n + chosen.source
                }
            }
            forward.reorder(order)
        }

        return beams.map { item in
            var best = 0
            for k in 1..<item.count where item[k].average > item[best].average { best = k }
            return options.startTokens + item[best].tokens
        }
    }
}
