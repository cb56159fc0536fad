// JFlex's matching rule, as a lazily built DFA: from a position, take the longest text that any rule
// matches; among rules matching that longest text, the one listed first wins. DFA states (sets of NFA
// states) and their transitions are made the first time the input needs them and kept for later tokens.

/// Units with the same membership in every unit class form one equivalence class (JFlex's CMAP),
/// computed the first time a unit is seen. Shared by all automata compiled from one class table.
final class UnitEquivalence {
    let classes: [UnitClass]
    /// Per UTF-16 unit: its equivalence class, or -1 when not yet computed.
    private let table: UnsafeMutablePointer<Int32>
    private var index: [[UInt64]: Int32] = [:]
    /// Per equivalence class: a bit per unit class, set when the class contains the units.
    private(set) var members: [[UInt64]] = []

    init(classes: [UnitClass]) {
        self.classes = classes
        table = .allocate(capacity: 0x10000)
        table.initialize(repeating: -1, count: 0x10000)
    }

    deinit { table.deallocate() }

    var count: Int { members.count }

    @inline(__always)
    func of(_ unit: UInt16) -> Int32 {
        let known = table[Int(unit)]
        return known >= 0 ? known : compute(unit)
    }

    private func compute(_ unit: UInt16) -> Int32 {
        var signature = [UInt64](repeating: 0, count: (classes.count + 63) / 64)
        for (k, c) in classes.enumerated() where c.contains(unit) { signature[k >> 6] |= 1 << UInt64(k & 63) }
        let id: Int32
        if let existing = index[signature] {
            id = existing
        } else {
            id = Int32(members.count)
            members.append(signature)
            index[signature] = id
        }
        table[Int(unit)] = id
        return id
    }

    func contains(_ eq: Int32, unitClass c: Int32) -> Bool {
        members[Int(eq)][Int(c) >> 6] & (1 << UInt64(c & 63)) != 0
    }
}

/// A DFA over an NFA whose final states carry rule numbers. Not thread-safe: its tables grow while
/// scanning.
final class LexerAutomaton {
    private let nfa: UnitNFA
    private let units: UnitEquivalence
    /// Per NFA state: the rule it accepts for, or `Int32.max`.
    private let acceptRule: [Int32]

    private var dfaStates: [[Int32]] = []
    private var dfaIndex: [[Int32]: Int32] = [:]
    private var dfaAccept: [Int32] = []
    /// Transitions, `stride` entries per DFA state: the next state, -1 for none, -2 not computed yet.
    private var next: UnsafeMutablePointer<Int32>
    private var stride = 64
    private var capacity = 64
    private var mark: [UInt32]
    private var stamp: UInt32 = 0

    /// `accepts`: the final NFA state of each rule, with the rule's priority (lower wins ties).
    init(nfa: UnitNFA, start: Int32, accepts: [(state: Int32, rule: Int32)], units: UnitEquivalence) {
        self.nfa = nfa
        self.units = units
        var acceptRule = [Int32](repeating: .max, count: nfa.stateCount)
        for (state, rule) in accepts { acceptRule[Int(state)] = min(acceptRule[Int(state)], rule) }
        self.acceptRule = acceptRule
        mark = [UInt32](repeating: 0, count: nfa.stateCount)
        next = .allocate(capacity: stride * capacity)
        _ = intern(closure(of: [start]))   // DFA state 0
    }

    deinit { next.deallocate() }

    /// The rule and end (exclusive) of the longest match starting at `from`, or nil when no rule matches.
    func longestMatch(_ text: UnsafeBufferPointer<UInt16>, from: Int) -> (rule: Int, end: Int)? {
        var best: (rule: Int, end: Int)?
        scan(text, from: from, limit: text.count) { rule, end in best = (rule, end) }
        return best
    }

    /// Every end (exclusive) of a match starting at `from` and ending by `limit`, ascending.
    func matchEnds(_ text: UnsafeBufferPointer<UInt16>, from: Int, limit: Int) -> [Int] {
        var ends: [Int] = []
        if dfaAccept[0] != .max { ends.append(from) }
        scan(text, from: from, limit: limit) { _, end in ends.append(end) }
        return ends
    }

    /// Runs the DFA from state 0 at `from`, calling `accept` at every accepting position.
    @inline(__always)
    private func scan(_ text: UnsafeBufferPointer<UInt16>, from: Int, limit: Int, _ accept: (Int, Int) -> Void) {
        var state: Int32 = 0
        var i = from
        while i < limit {
            let eq = units.of(text[i])
            var target: Int32 = Int(eq) < stride ? next[Int(state) * stride + Int(eq)] : -2
            if target == -2 { target = computeNext(state, eq) }
            if target < 0 { return }
            state = target
            i += 1
            let rule = dfaAccept[Int(state)]
            if rule != .max { accept(Int(rule), i) }
        }
    }

    private func computeNext(_ state: Int32, _ eq: Int32) -> Int32 {
        if Int(eq) >= stride { widen(to: Int(eq) + 1) }
        var targets: [Int32] = []
        for s in dfaStates[Int(state)] {
            for edge in nfa.edges[Int(s)] where units.contains(eq, unitClass: edge.unitClass) { targets.append(edge.target) }
        }
        let target: Int32 = targets.isEmpty ? -1 : intern(closure(of: targets))
        next[Int(state) * stride + Int(eq)] = target
        return target
    }

    /// Grows each state's row to hold at least `count` equivalence classes.
    private func widen(to count: Int) {
        var newStride = stride
        while newStride < count { newStride *= 2 }
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: newStride * capacity)
        table.initialize(repeating: -2, count: newStride * capacity)
        for s in 0..<dfaStates.count { (table + s * newStride).update(from: next + s * stride, count: stride) }
        next.deallocate()
        next = table
        stride = newStride
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
        if dfaStates.count == capacity {
            let table = UnsafeMutablePointer<Int32>.allocate(capacity: stride * capacity * 2)
            table.update(from: next, count: stride * capacity)
            next.deallocate()
            next = table
            capacity *= 2
        }
        (next + Int(id) * stride).initialize(repeating: -2, count: stride)
        dfaStates.append(set)
        dfaIndex[set] = id
        dfaAccept.append(set.reduce(Int32.max) { min($0, acceptRule[Int($1)]) })
        return id
    }
}
