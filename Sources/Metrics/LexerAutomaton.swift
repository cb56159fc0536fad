// JFlex's matching rule, as a lazily built DFA: from a position, take the longest text that any rule
// matches; among rules matching that longest text, the one listed first wins. DFA states (sets of NFA
// states) and their transitions are made the first time the input needs them and kept for later tokens.

/// The combined automaton of all lexer rules. Not thread-safe: the lazy tables grow while scanning.
final class LexerAutomaton {
    private let nfa: UnitNFA
    private let classes: [UnitClass]
    /// Per NFA state: the rule it accepts for, or `Int32.max`.
    private let acceptRule: [Int32]

    /// Units with the same membership in every class form one equivalence class (JFlex's CMAP).
    private var unitEquivalence = [Int32](repeating: -1, count: 0x10000)
    private var equivalenceIndex: [[UInt64]: Int32] = [:]
    private var equivalenceMembers: [[UInt64]] = []

    private var dfaStates: [[Int32]] = []
    private var dfaIndex: [[Int32]: Int32] = [:]
    private var dfaAccept: [Int32] = []
    /// Per DFA state and equivalence class: the next state, -1 for none, -2 not computed yet.
    private var dfaNext: [[Int32]] = []
    private var mark: [UInt32]
    private var stamp: UInt32 = 0
    private let startState: Int32

    /// `accepts`: the final NFA state of each rule, with the rule's priority (lower wins ties).
    init(nfa: UnitNFA, start: Int32, accepts: [(state: Int32, rule: Int32)], classes: [UnitClass]) {
        self.nfa = nfa
        self.classes = classes
        var acceptRule = [Int32](repeating: .max, count: nfa.stateCount)
        for (state, rule) in accepts { acceptRule[Int(state)] = min(acceptRule[Int(state)], rule) }
        self.acceptRule = acceptRule
        mark = [UInt32](repeating: 0, count: nfa.stateCount)
        startState = 0
        _ = intern(closure(of: [start]))
    }

    /// The rule and end (exclusive) of the longest match starting at `from`, or nil when no rule matches.
    func longestMatch(_ units: UnsafeBufferPointer<UInt16>, from: Int) -> (rule: Int, end: Int)? {
        var state = startState
        var best: (rule: Int, end: Int)?
        var i = from
        while i < units.count {
            let eq = equivalence(of: units[i])
            var next = eq < dfaNext[Int(state)].count ? dfaNext[Int(state)][Int(eq)] : -2
            if next == -2 { next = computeNext(state, eq) }
            if next < 0 { break }
            state = next
            i += 1
            let rule = dfaAccept[Int(state)]
            if rule != .max { best = (Int(rule), i) }
        }
        return best
    }

    private func equivalence(of unit: UInt16) -> Int32 {
        let known = unitEquivalence[Int(unit)]
        if known >= 0 { return known }
        var signature = [UInt64](repeating: 0, count: (classes.count + 63) / 64)
        for (k, c) in classes.enumerated() where c.contains(unit) { signature[k >> 6] |= 1 << UInt64(k & 63) }
        let id: Int32
        if let existing = equivalenceIndex[signature] {
            id = existing
        } else {
            id = Int32(equivalenceMembers.count)
            equivalenceMembers.append(signature)
            equivalenceIndex[signature] = id
        }
        unitEquivalence[Int(unit)] = id
        return id
    }

    private func computeNext(_ state: Int32, _ eq: Int32) -> Int32 {
        let members = equivalenceMembers[Int(eq)]
        var targets: [Int32] = []
        for s in dfaStates[Int(state)] {
            for edge in nfa.edges[Int(s)] {
                let c = Int(edge.unitClass)
                if members[c >> 6] & (1 << UInt64(c & 63)) != 0 { targets.append(edge.target) }
            }
        }
        let next: Int32 = targets.isEmpty ? -1 : intern(closure(of: targets))
        if dfaNext[Int(state)].count <= Int(eq) {
            dfaNext[Int(state)].append(contentsOf: repeatElement(-2, count: Int(eq) + 1 - dfaNext[Int(state)].count))
        }
        dfaNext[Int(state)][Int(eq)] = next
        return next
    }

    private func closure(of states: [Int32]) -> [Int32] {
        stamp &+= 1
        if stamp == 0 { mark = [UInt32](repeating: 0, count: mark.count); stamp = 1 }
        var out: [Int32] = []
        nfa.close(states, into: &out, mark: &mark, stamp: stamp)
        out.sort()
        return out
    }

    private func intern(_ set: [Int32]) -> Int32 {
        if let id = dfaIndex[set] { return id }
        let id = Int32(dfaStates.count)
        dfaStates.append(set)
        dfaIndex[set] = id
        dfaAccept.append(set.reduce(Int32.max) { min($0, acceptRule[Int($1)]) })
        dfaNext.append([])
        return id
    }
}

/// One pattern on its own, for splitting a trailing-context match `r1/r2` into its `r1` part.
struct PatternMatcher {
    let nfa: UnitNFA
    let start: Int32
    let accept: Int32
    let classes: [UnitClass]

    /// Every end position (exclusive) of a match of the pattern that starts at `from`, ascending.
    func ends(_ units: UnsafeBufferPointer<UInt16>, from: Int, limit: Int) -> [Int] {
        var mark = [UInt32](repeating: 0, count: nfa.stateCount)
        var stamp: UInt32 = 1
        var current: [Int32] = []
        nfa.close([start], into: &current, mark: &mark, stamp: stamp)
        var result: [Int] = current.contains(accept) ? [from] : []
        var i = from
        while i < limit, !current.isEmpty {
            let unit = units[i]
            var targets: [Int32] = []
            for s in current {
                for edge in nfa.edges[Int(s)] where classes[Int(edge.unitClass)].contains(unit) { targets.append(edge.target) }
            }
            stamp += 1
            current.removeAll(keepingCapacity: true)
            nfa.close(targets, into: &current, mark: &mark, stamp: stamp)
            i += 1
            if current.contains(accept) { result.append(i) }
        }
        return result
    }
}
