import Foundation
import Metrics
import Testing

/// Tokens the stanford-corenlp-3.4.1 jar prints with `-preserveLines -lowerCase` (checked by hand); the
/// fixture test in PTBFixtureTests covers every sentence of the parity corpus.
@Suite struct PTBTokenizerTests {
    let tokenizer: PTBTokenizer

    init() throws { tokenizer = try PTBTokenizer() }

    @Test(arguments: [
        ("A man riding a wave on top of a surfboard.", "a man riding a wave on top of a surfboard ."),
        ("Don't do it, it's the man's dog (a big one) \"quoted\" 'single'.",
         "do n't do it , it 's the man 's dog -lrb- a big one -rrb- `` quoted '' ` single ' ."),
        ("The U.S. flag. Mr. Smith went to Washington D.C.", "the u.s. flag . mr. smith went to washington d.c."),
        ("in the U.S. They said so.", "in the u.s. . they said so ."),
        ("3.5 1,000 1/2 -5 10-year-old black-and-white well- --dash -- ...",
         "3.5 1,000 1/2 -5 10-year-old black-and-white well - -- dash -- ..."),
        ("I'm gonna wanna cannot gotta 'tis", "i 'm gon na wan na can not got ta 't is"),
        ("5 7/8 cups", "5\u{A0}7/8 cups"),
        (":) ;-) ^_^ C++ AT&T &amp; x...y", ":-rrb- ;--rrb- ^_^ c++ at&t & x. . . y"),
        ("Jan. The Inc. the Ph. The fig. 3", "jan. . the inc. the ph. the fig. 3"),
        ("emdash—here “curly” ‘single’ café naïve ½ £5", "emdash -- here `` curly '' ` single ' café naïve 1/2 # 5"),
        ("ΣΑΣ", "σας"),
    ])
    func tokensMatchTheJar(text: String, expected: String) {
        #expect(tokenizer.tokens(text).joined(separator: " ") == expected)
    }

    @Test func emojiAndOtherSupplementaryCharactersAreDeleted() {
        #expect(tokenizer.tokens("a 😀 dog") == ["a", "dog"])
    }

    @Test func captionsDropPycocoevalcapPunctuationButKeepEscapedBrackets() {
        let out = tokenizer.tokenizeCaptions(["A dog (big), running!", "", "It's \"fine\"..."])
        #expect(out == ["a dog -lrb- big -rrb- running", "", "it 's fine"])
    }

    @Test func trailingContextLooksIntoTheNextCaptionAsTheJarDoes() {
        // "U.S." before a line starting "They" gets a duplicated period, which punctuation removal drops.
        #expect(tokenizer.tokenizeCaptions(["in the U.S.", "They said"]) == ["in the u.s.", "they said"])
    }

    /// Where the next caption changes a token after punctuation removal (checked against the jar): a
    /// one-letter acronym before a sentence-start word, "fig." before a number, a smiley at the very end.
    @Test func captionOrderMattersAtCaptionBoundaries() {
        #expect(tokenizer.tokenizeCaptions(["the letter B.", "A dog", "see fig.", "3 dogs", "last :)"])
                == ["the letter b", "a dog", "see fig.", "3 dogs", "last -rrb-"])
        #expect(tokenizer.tokenizeCaptions(["the letter B.", "a dog", "see fig.", "three dogs", "last :)", "x"])
                == ["the letter b.", "a dog", "see fig", "three dogs", "last :-rrb-", "x"])
    }

    @Test func lineBreaksInsideACaptionStayInThatCaption() {
        #expect(tokenizer.tokenizeCaptions(["a\nb\rc\u{2028}d", "e"]) == ["a b c d", "e"])
    }
}
