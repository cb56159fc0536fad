import Foundation

// The scanner loop of Stanford's PTBLexer (CoreNLP 3.4.1) over UTF-16: longest match among
// `PTBLexerRules.rules`, first rule on ties, trailing context not consumed, then the rule's action.

/// One lexer output: a token's text (before lowercasing) or a line break.
enum PTBLexeme: Equatable {
    case token(String)
    case newline
}

/// Compiled PTB lexer. Not thread-safe (the automata grow lazily); `PTBTokenizer` serializes access.
final class PTBLexer {
    /// How the text part of a trailing-context match `r1/r2` is found.
    private enum Split {
        /// `r2` always matches `n` units: the text is all but the last `n`.
        case fixedContext(Int)
        /// JFlex's general lookahead: the longest `r1` match whose context ends exactly at the match end.
        case search(text: LexerAutomaton, context: LexerAutomaton)
    }

    private let rules: [PTBRule]
    private let automaton: LexerAutomaton
    private let splits: [Split?]

    init(rules: [PTBRule] = PTBLexerRules.rules, macros: [String: String] = PTBLexerRules.macros) throws {
        var compiler = LexerRegexCompiler(macros: macros, caseless: true)
        var parsed: [(text: RegexNode, context: RegexNode?)] = []
        for rule in rules {
            let text = try compiler.parse(rule.pattern)
            let context = try rule.lookahead.map { try compiler.parse($0) }
            parsed.append((text, context))
        }
        let units = UnitEquivalence(classes: compiler.classes)
        var nfa = UnitNFA()
        let start = nfa.newState()
        var accepts: [(state: Int32, rule: Int32)] = []
        for (k, p) in parsed.enumerated() {
            let s = nfa.newState()
            nfa.addEpsilon(start, s)
            var end = nfa.build(p.text, from: s)
            if let context = p.context { end = nfa.build(context, from: end) }
            accepts.append((end, Int32(k)))
        }
        func patternAutomaton(_ node: RegexNode) -> LexerAutomaton {
            var own = UnitNFA()
            let s = own.newState()
            let e = own.build(node, from: s)
            return LexerAutomaton(nfa: own, start: s, accepts: [(e, 0)], units: units)
        }
        splits = parsed.map { p in
            guard let context = p.context else { return nil }
            let length = context.lengthRange
            if let max = length.max, max == length.min { return .fixedContext(max) }
            return .search(text: patternAutomaton(p.text), context: patternAutomaton(context))
        }
        self.rules = rules
        self.automaton = LexerAutomaton(nfa: nfa, start: start, accepts: accepts, units: units)
    }

    /// Scans `units` (UTF-16) to the end.
    func lex(_ units: UnsafeBufferPointer<UInt16>) -> [PTBLexeme] {
        var out: [PTBLexeme] = []
        var pos = 0
        while pos < units.count {
            guard let match = automaton.longestMatch(units, from: pos) else { pos += 1; continue }
            var textEnd = match.end
            switch splits[match.rule] {
            case nil: break
            case .fixedContext(let n): textEnd = match.end - n
            case .search(let text, let context):
                // The combined match guarantees a split exists; were none found, keep the whole match.
                for e in text.matchEnds(units, from: pos, limit: match.end).reversed()
                where context.matchEnds(units, from: e, limit: match.end).last == match.end {
                    textEnd = e
                    break
                }
            }
            let text = UnsafeBufferPointer(rebasing: units[pos..<textEnd])
            let (lexeme, consumed) = apply(rules[match.rule].action, to: text)
            if let lexeme { out.append(lexeme) }
            pos += max(consumed, 1)
        }
        return out
    }

    /// The lexeme an action makes from `text`, and how many units it consumes (less than the text after
    /// a pushback).
    private func apply(_ action: PTBAction, to text: UnsafeBufferPointer<UInt16>) -> (PTBLexeme?, Int) {
        let n = text.count
        func string(_ count: Int) -> String { Self.string(UnsafeBufferPointer(rebasing: text[0..<count])) }
        switch action {
        case .keep: return (.token(string(n)), n)
        case .removeSoftHyphens: return (.token(Self.removeSoftHyphens(string(n))), n)
        case .quotes(let left): return (.token(Self.latexQuotes(string(n), left: left)), n)
        case .pushback(let k): return (.token(string(n - k)), n - k)
        case .sentenceFinalAbbreviation: return (.token(string(n)), n - 1)
        case .acronym:
            // processAcronym: a one-letter acronym ("I.") returns just the letter; others keep the period;
            // either way the period is scanned again.
            return n == 2 ? (.token(string(1)), 1) : (.token(string(n)), n - 1)
        case .spacesToNoBreakSpaces: return (.token(string(n).replacingAll(" ", with: "\u{A0}")), n)
        case .phone:
            let s = string(n).replacingAll(" ", with: "\u{A0}")
            return (.token(s.replacingAll("(", with: "-LRB-").replacingAll(")", with: "-RRB-")), n)
        case .parentheses:
            return (.token(string(n).replacingAll("(", with: "-LRB-").replacingAll(")", with: "-RRB-")), n)
        case .constant(let s): return (.token(s), n)
        case .hyphens: return (.token((3...4).contains(n) ? "--" : string(n)), n)
        case .ellipsis: return (.token("..."), n)
        case .fraction: return (.token(Self.fraction(string(n))), n)
        case .currency: return (.token(Self.currency(string(n))), n)
        case .ampersand: return (.token(Self.ampersand(string(n))), n)
        case .skip, .untokenizable: return (nil, n)
        case .newline: return (.newline, n)
        }
    }

    /// The text of UTF-16 units; ASCII (most tokens) is copied byte for byte, without transcoding.
    static func string(_ units: UnsafeBufferPointer<UInt16>) -> String {
        guard units.allSatisfy({ $0 < 0x80 }) else { return String(decoding: units, as: UTF16.self) }
        return String(unsafeUninitializedCapacity: units.count) { bytes in
            for (k, u) in units.enumerated() { bytes[k] = UInt8(truncatingIfNeeded: u) }
            return units.count
        }
    }

    /// PTBLexer.removeSoftHyphens: drops U+00AD; a token of only soft hyphens becomes "-".
    static func removeSoftHyphens(_ s: String) -> String {
        guard s.unicodeScalars.contains("\u{AD}") else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars where u != "\u{AD}" { out.append(u) }
        return out.isEmpty ? "-" : String(out)
    }

    /// PTBLexer.latexQuotes (3.4.1): ASCII quotes by side, then curly and CP1252 quotes by shape.
    static func latexQuotes(_ s: String, left: Bool) -> String {
        var out = ""
        var scalars = Substring(s).unicodeScalars[...]
        while let u = scalars.first {
            if scalars.starts(with: "&apos;".unicodeScalars) {
                out += left ? "`" : "'"
                scalars = scalars.dropFirst(6)
                continue
            }
            if scalars.starts(with: "&quot;".unicodeScalars) {
                out += left ? "``" : "''"
                scalars = scalars.dropFirst(6)
                continue
            }
            switch u {
            case "'": out += left ? "`" : "'"
            case "\"": out += left ? "``" : "''"
            case "\u{91}", "\u{2018}", "\u{201B}", "\u{2039}": out += "`"
            case "\u{92}", "\u{2019}", "\u{203A}": out += "'"
            case "\u{93}", "\u{201C}", "\u{AB}": out += "``"
            case "\u{94}", "\u{201D}", "\u{BB}": out += "''"
            default: out.unicodeScalars.append(u)
            }
            scalars = scalars.dropFirst()
        }
        return out
    }

    static func fraction(_ s: String) -> String {
        switch s {
        case "\u{BC}": return "1/4"
        case "\u{BD}": return "1/2"
        case "\u{BE}": return "3/4"
        case "\u{2153}": return "1/3"
        case "\u{2154}": return "2/3"
        default: return s
        }
    }

    static func currency(_ s: String) -> String {
        switch s {
        case "\u{A2}": return "cents"
        case "\u{A3}": return "#"
        case "\u{80}", "\u{A4}", "\u{20A0}", "\u{20AC}": return "$"
        default: return s
        }
    }

    /// `(?i:&amp;)` → `&`.
    static func ampersand(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let r = rest.range(of: "&amp;", options: .caseInsensitive) {
            out += rest[..<r.lowerBound]
            out += "&"
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension String {
    /// Every occurrence of `target` replaced (literal, non-overlapping, left to right).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
