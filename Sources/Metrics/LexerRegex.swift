// A small regular-expression compiler for the PTB lexer: JFlex-style patterns (macros, character classes,
// `%caseless` literals) become Thompson NFAs over UTF-16 code units. JFlex's `%unicode` scanners read Java
// `char`s, so a character outside the BMP arrives as two surrogate units; we keep that unit of reading.

/// A Unicode property that JFlex character classes can name.
enum UnitProperty: Hashable {
    /// `[:letter:]`: Java `Character.isLetter` (general category L*).
    case letter
    /// `[:digit:]`: Java `Character.isDigit` (general category Nd).
    case digit
    /// `[:uppercase:]`: Java `Character.isUpperCase` (Lu or Other_Uppercase).
    case uppercase

    func contains(_ unit: UInt16) -> Bool {
        guard let scalar = Unicode.Scalar(UInt32(unit)) else { return false }   // a lone surrogate
        // JFlex fixed these classes when the lexer was generated, from Java's Unicode 6.x tables:
        // the 3.4.1 jar reads characters assigned since Unicode 7.0 as unknown, not as letters.
        guard let age = scalar.properties.age, (age.major, age.minor) <= (6, 2) else { return false }
        // Characters whose category changed after 6.2 (found by running every BMP character through the
        // jar): Mongolian U+1885-1886 were letters then; New Tai Lue vowels and two Vedic signs were marks;
        // Cherokee capitals were caseless letters.
        switch unit {
        case 0x1885...0x1886: return self == .letter
        case 0x19B0...0x19C0, 0x19C8...0x19C9, 0x1CF2...0x1CF3: return false
        case 0x13A0...0x13F4 where self == .uppercase: return false
        default: break
        }
        switch self {
        case .letter:
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
            default: return false
            }
        case .digit: return scalar.properties.generalCategory == .decimalNumber
        case .uppercase: return scalar.properties.isUppercase
        }
    }
}

/// A set of UTF-16 code units: ranges and named properties, possibly negated (`[^...]`).
struct UnitClass: Hashable {
    var ranges: [ClosedRange<UInt16>] = []
    var properties: [UnitProperty] = []
    var negated = false

    func contains(_ unit: UInt16) -> Bool {
        var hit = false
        for r in ranges where r.contains(unit) { hit = true; break }
        if !hit { for p in properties where p.contains(unit) { hit = true; break } }
        return hit != negated
    }
}

/// A parsed pattern. Leaves are indices into the compiler's table of unit classes.
indirect enum RegexNode {
    case unit(Int)
    case sequence([RegexNode])
    case choice([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)
}

extension RegexNode {
    /// The shortest and longest lengths (in units) of the texts the node matches; `max` is nil when unbounded.
    var lengthRange: (min: Int, max: Int?) {
        switch self {
        case .unit: return (1, 1)
        case .sequence(let parts):
            return parts.reduce((0, 0)) { total, part in
                let r = part.lengthRange
                return (total.0 + r.min, total.1.flatMap { a in r.max.map { a + $0 } })
            }
        case .choice(let alternatives):
            let ranges = alternatives.map(\.lengthRange)
            let mins = ranges.map(\.min).min() ?? 0
            let maxes = ranges.map(\.max)
            return (mins, maxes.contains { $0 == nil } ? nil : maxes.compactMap { $0 }.max() ?? 0)
        case .repetition(let inner, let min, let max):
            let r = inner.lengthRange
            let upper: Int? = r.max == 0 ? 0 : max.flatMap { m in r.max.map { $0 * m } }
            return (r.min * min, upper)
        }
    }
}

/// Why a pattern in the lexer table failed to compile; a programming error in the table, caught by tests.
struct LexerPatternError: Error, CustomStringConvertible {
    let pattern: String
    let reason: String
    var description: String { "lexer pattern '\(pattern)': \(reason)" }
}

/// A Thompson NFA over unit classes. State 0 is unused; states are created on demand.
struct UnitNFA {
    private(set) var edges: [[(unitClass: Int32, target: Int32)]] = []
    private(set) var epsilons: [[Int32]] = []

    var stateCount: Int { edges.count }

    mutating func newState() -> Int32 {
        edges.append([])
        epsilons.append([])
        return Int32(edges.count - 1)
    }

    mutating func addEpsilon(_ from: Int32, _ to: Int32) { epsilons[Int(from)].append(to) }

    /// Adds the states for `node` starting at `start`; returns the state reached at its end.
    mutating func build(_ node: RegexNode, from start: Int32) -> Int32 {
        switch node {
        case .unit(let c):
            let end = newState()
            edges[Int(start)].append((Int32(c), end))
            return end
        case .sequence(let parts):
            var current = start
            for part in parts { current = build(part, from: current) }
            return current
        case .choice(let alternatives):
            let end = newState()
            for alternative in alternatives {
                let s = newState()
                addEpsilon(start, s)
                addEpsilon(build(alternative, from: s), end)
            }
            return end
        case .repetition(let inner, let min, let max):
            var current = start
            for _ in 0..<min { current = build(inner, from: current) }
            if let max {
                for _ in min..<max {
                    let end = newState()
                    addEpsilon(current, end)
                    addEpsilon(build(inner, from: current), end)
                    current = end
                }
            } else {
                let loop = newState()
                addEpsilon(current, loop)
                addEpsilon(build(inner, from: loop), loop)
                current = loop
            }
            return current
        }
    }

    /// The ε-closure of `states`, appended to `out`; `mark`/`stamp` avoid revisiting states.
    func close(_ states: [Int32], into out: inout [Int32], mark: inout [UInt32], stamp: UInt32) {
        var stack = states
        while let s = stack.popLast() {
            if mark[Int(s)] == stamp { continue }
            mark[Int(s)] = stamp
            out.append(s)
            stack.append(contentsOf: epsilons[Int(s)])
        }
    }
}

/// Parses JFlex-style patterns into `RegexNode`s, sharing one table of unit classes.
///
/// Supported syntax: literals (caseless outside classes when `caseless`), `\uXXXX`, `\t \n \r \f \0` and
/// `\X` escapes, `.` (any unit but `\n`), `[...]` and `[^...]` classes with ranges, `[:letter:]`,
/// `[:digit:]` and `[:uppercase:]`, `[^]` (any unit), `( )`, `|`, `* + ?`, `{n}`, `{n,m}`, and `{MACRO}`.
struct LexerRegexCompiler {
    let macros: [String: String]
    let caseless: Bool
    private(set) var classes: [UnitClass] = []
    private var classIndex: [UnitClass: Int] = [:]
    private var macroCache: [String: RegexNode] = [:]

    init(macros: [String: String], caseless: Bool) {
        self.macros = macros
        self.caseless = caseless
    }

    mutating func parse(_ pattern: String) throws -> RegexNode {
        var parser = Parser(scalars: Array(pattern.unicodeScalars), source: pattern)
        let node = try parser.alternation(&self)
        guard parser.atEnd else { throw parser.error("unexpected '\(parser.peek!)'") }
        return node
    }

    mutating func classID(_ c: UnitClass) -> Int {
        if let id = classIndex[c] { return id }
        classes.append(c)
        classIndex[c] = classes.count - 1
        return classes.count - 1
    }

    fileprivate mutating func macro(_ name: String, source: String) throws -> RegexNode {
        if let node = macroCache[name] { return node }
        guard let body = macros[name] else { throw LexerPatternError(pattern: source, reason: "unknown macro {\(name)}") }
        let node = try parse(body)
        macroCache[name] = node
        return node
    }

    /// The units a literal matches: itself, plus its simple case variants when caseless.
    fileprivate mutating func literal(_ unit: UInt16) -> RegexNode {
        var units: Set<UInt16> = [unit]
        if caseless, let scalar = Unicode.Scalar(UInt32(unit)) {
            for mapped in [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping,
                           scalar.properties.titlecaseMapping] {
                let utf16 = Array(mapped.utf16)
                if utf16.count == 1 { units.insert(utf16[0]) }
            }
        }
        let c = UnitClass(ranges: units.sorted().map { $0...$0 })
        return .unit(classID(c))
    }
}

private struct Parser {
    let scalars: [Unicode.Scalar]
    let source: String
    var i = 0

    var atEnd: Bool { i >= scalars.count }
    var peek: Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }

    func error(_ reason: String) -> LexerPatternError { LexerPatternError(pattern: source, reason: "\(reason) at \(i)") }

    mutating func alternation(_ c: inout LexerRegexCompiler) throws -> RegexNode {
        var alternatives = [try sequence(&c)]
        while peek == "|" {
            i += 1
            alternatives.append(try sequence(&c))
        }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }

    mutating func sequence(_ c: inout LexerRegexCompiler) throws -> RegexNode {
        var parts: [RegexNode] = []
        while let s = peek, s != "|", s != ")" {
            parts.append(try repeated(&c))
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    mutating func repeated(_ c: inout LexerRegexCompiler) throws -> RegexNode {
        var node = try atom(&c)
        while let s = peek {
            switch s {
            case "*": i += 1; node = .repetition(node, min: 0, max: nil)
            case "+": i += 1; node = .repetition(node, min: 1, max: nil)
            case "?": i += 1; node = .repetition(node, min: 0, max: 1)
            case "{" where i + 1 < scalars.count && ("0"..."9").contains(scalars[i + 1]):
                i += 1
                let lo = number()
                var hi: Int? = lo
                if peek == "," { i += 1; hi = number() }
                guard peek == "}" else { throw error("bad repetition") }
                i += 1
                node = .repetition(node, min: lo, max: hi)
            default: return node
            }
        }
        return node
    }

    mutating func number() -> Int {
        var n = 0
        while let s = peek, ("0"..."9").contains(s) { n = n * 10 + Int(s.value - 48); i += 1 }
        return n
    }

    mutating func atom(_ c: inout LexerRegexCompiler) throws -> RegexNode {
        guard let s = peek else { throw error("unexpected end") }
        switch s {
        case "(":
            i += 1
            let node = try alternation(&c)
            guard peek == ")" else { throw error("missing ')'") }
            i += 1
            return node
        case "[":
            return .unit(c.classID(try unitClass()))
        case "{":
            i += 1
            var name = ""
            while let t = peek, t != "}" { name.unicodeScalars.append(t); i += 1 }
            guard peek == "}" else { throw error("missing '}'") }
            i += 1
            return try c.macro(name, source: source)
        case ".":
            i += 1
            return .unit(c.classID(UnitClass(ranges: [0x0A...0x0A], negated: true)))
        case "\\":
            i += 1
            return c.literal(try escape())
        default:
            i += 1
            guard s.value < 0x10000 else { throw error("literal outside the BMP") }
            return c.literal(UInt16(s.value))
        }
    }

    mutating func escape() throws -> UInt16 {
        guard let s = peek else { throw error("dangling backslash") }
        i += 1
        switch s {
        case "u":
            guard i + 4 <= scalars.count, let v = UInt16(String(String.UnicodeScalarView(scalars[i..<i + 4])), radix: 16) else {
                throw error("bad \\u escape")
            }
            i += 4
            return v
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "f": return 0x0C
        case "0": return 0x00
        default:
            guard s.value < 0x10000 else { throw error("escape outside the BMP") }
            return UInt16(s.value)
        }
    }

    /// `[...]`: ranges, escapes and `[:name:]` properties; `[^]` is any unit.
    mutating func unitClass() throws -> UnitClass {
        var result = UnitClass()
        if isNamedProperty(at: i) {   // a standalone [:name:]
            result.properties.append(try namedProperty())
            return result
        }
        i += 1   // '['
        if peek == "^" { result.negated = true; i += 1 }
        while let s = peek, s != "]" {
            if s == "[", isNamedProperty(at: i) {
                result.properties.append(try namedProperty())
                continue
            }
            let lo = try classUnit()
            if peek == "-", i + 1 < scalars.count, scalars[i + 1] != "]" {
                i += 1
                let hi = try classUnit()
                guard lo <= hi else { throw error("empty range") }
                result.ranges.append(lo...hi)
            } else {
                result.ranges.append(lo...lo)
            }
        }
        guard peek == "]" else { throw error("missing ']'") }
        i += 1
        return result
    }

    /// Whether `[:name:]` (lowercase letters between colons) starts at `k`; `[:;=]` is an ordinary class.
    func isNamedProperty(at k: Int) -> Bool {
        guard k + 1 < scalars.count, scalars[k] == "[", scalars[k + 1] == ":" else { return false }
        var j = k + 2
        while j < scalars.count, ("a"..."z").contains(scalars[j]) { j += 1 }
        return j > k + 2 && j + 1 < scalars.count && scalars[j] == ":" && scalars[j + 1] == "]"
    }

    /// `[:letter:]`, `[:digit:]` or `[:uppercase:]`, starting at its '['.
    mutating func namedProperty() throws -> UnitProperty {
        i += 2
        var name = ""
        while let t = peek, t != ":" { name.unicodeScalars.append(t); i += 1 }
        guard i + 1 < scalars.count, scalars[i + 1] == "]" else { throw error("bad [:name:]") }
        i += 2
        switch name {
        case "letter": return .letter
        case "digit": return .digit
        case "uppercase": return .uppercase
        default: throw error("unknown class [:\(name):]")
        }
    }

    mutating func classUnit() throws -> UInt16 {
        guard let s = peek else { throw error("unexpected end in class") }
        i += 1
        if s == "\\" { return try escape() }
        guard s.value < 0x10000 else { throw error("class member outside the BMP") }
        return UInt16(s.value)
    }
}
