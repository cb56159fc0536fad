#!/usr/bin/env python3
"""Golden ids for the Swift tokenizers, from the Hugging Face reference tokenizers.

Reads the converted vocabularies (`scripts/fetch_vocabs.sh` writes them), tokenizes a seeded, deterministic
set of caption-like strings, and writes

  Tests/Fixtures/tokenizers/clip_cases.json  [{"text", "ids", "ids_truncated", "decoded", "simple_tokenizer"}]
      ids: transformers' CLIPTokenizer, no truncation (start and end tokens included);
      ids_truncated: the same with truncation=True, max_length=77;
      decoded: decode(ids, skip_special_tokens=True);
      simple_tokenizer: how OpenAI's SimpleTokenizer (open_clip's copy) compares: "same" ids, or why not.
  Tests/Fixtures/tokenizers/gpt2_cases.json  [{"text", "ids", "decoded"}]
      ids: transformers' GPT2Tokenizer; decoded: its decode(ids). Entries with "text": null are decode-only
      cases: slices of other cases' ids that cut multi-byte characters, so decoding must write U+FFFD.
  Tests/Fixtures/tokenizers/unicode_classes.json  {"runs": [[first, last, "L"|"N"|"S"|"O"]], "lower": {cp: [cps]}}
      how the reference's regex engine classes every code point (\\p{L}, \\p{N}, \\s, other) and what its
      Lowercase normalizer maps each changed code point to.

Cross-checks (the script fails if they do not hold):
  * GPT-2: HF-from-converted-files ids and decode == tiktoken with the original `gpt2.tiktoken` ranks.
  * CLIP: HF ids == OpenAI's SimpleTokenizer wherever both clean the text the same way. SimpleTokenizer runs
    ftfy.fix_text, a double html.unescape and Python's str.lower()/str.split(); HF does NFC, \\s+ → " ",
    per-character lowercase. Cases where those cleanups differ (&amp;, curly quotes, fullwidth forms, final
    sigma, U+001C..U+001F, ...) or that contain special-token literals are recorded and not compared.

Usage: python3 Tests/Fixtures/gen_tokenizers.py [--vocab DIR] [--gpt2-tiktoken FILE|SDIST] [--out DIR]
Requires transformers (tested with 5.23.0 / tokenizers 0.23.3); tiktoken, ftfy, regex and torch for the
cross-checks (each is skipped with a notice when missing).
"""

import argparse
import glob
import importlib.util
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts"))

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# ---------------------------------------------------------------------------------------------------------
# Test strings


SUBJECTS = ["a man", "a woman", "two dogs", "the cat", "a group of people", "an old bus", "three children",
            "a red double-decker bus", "a plate of food", "a giraffe", "some skiers", "the chef", "a teddy bear",
            "a baseball player", "an airplane", "a laptop", "a young boy's kite", "the zebra", "a stop sign",
            "a bowl of soup"]
VERBS = ["is sitting on", "stands next to", "rides", "is eating", "looks at", "flies over", "walks along",
         "is parked near", "holds", "plays with", "leans against", "is covered with", "jumps over"]
OBJECTS = ["a bench", "the beach", "a wooden table", "a busy street", "the snowy mountain", "a frisbee",
           "a pizza", "the river", "a tennis racket", "a large building", "the kitchen counter", "a field",
           "an umbrella", "a skateboard", "the window"]
TAILS = ["", ".", " .", "!", "?", " in the rain.", " at night", " on a sunny day.", ", smiling.", " (blurry)",
         " -- close up", "...", " :)", " #photo", " in 1999.", " with 2 friends", " near the 3rd street",
         " at 5:30pm", " for $12.50", " 100%"]

EDGE_CASES = [
    "", " ", "   ", "\t", "\n", " \n ", "a", "A", ".", "'", "''", "'s", "1", "12", "x2", "2x4",
    "A photo of a cat.", "a photo of a cat", "A PHOTO OF A CAT", "  leading spaces", "trailing spaces   ",
    "  both sides  ", "double  space", "triple   space", "tab\tseparated\twords", "new\nline", "crlf\r\nline",
    "mixed \t\n whitespace", "ends with newline\n", "\n\nstarts with newlines", "space before newline \nx",
    "it's a dog's life", "don't", "they're here", "we've gone", "I'm fine", "you'll see", "he'd go",
    "IT'S LOUD", "DON'T", "She'S", "'tis the season", "rock 'n' roll", "the dogs' bowls", "''quoted''",
    "'hello'", "x'sy", "a's'b", "it''s", "O'Neill's pub", "'re 've 'm 'll 'd",
    "café", "cafe\u0301", "naïve", "nai\u0308ve", "ñandú", "n\u0303", "über", "u\u0308ber", "Ångström",
    "A\u030angstro\u0308m", "\u212b", "résumé résumé", "Crème brûlée", "façade", "smörgåsbord", "jalapeño",
    "São Paulo", "Đà Nẵng", "x\u0301y", "\u0301leading combining mark", "e\u0301\u0301\u0301",
    "\u1e9b\u0323", "ﬁne ﬂowers", "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ １２３", "STRASSE straße", "İstanbul", "ΟΔΟΣ οδός",
    "Σίσυφος", "ǅemal", "ǈ ǋ ǲ", "Ⅻ ⅻ", "x² + y³", "½ cup", "①②③", "٣ ٤ ٥", "१२३", "〇一二",
    "🐶🐱", "a 🐶 and a 🐱", "👨‍👩‍👧 family", "👍🏽 thumbs", "🇯🇵 flag", "❤️ love", "emoji at end 😀",
    "😀😀😀😀😀", "一只猫坐在垫子上", "東京タワーの写真", "고양이가 의자에 앉아 있다", "\u1100\u1161\u11a8",
    "Кошка сидит на столе", "Η γάτα κάθεται", "قطة تجلس على الطاولة", "חתול יושב על השולחן",
    "बिल्ली मेज़ पर बैठी है", "แมวนั่งบนโต๊ะ", "mixed English 和中文 text", "a\u00a0non-breaking space",
    "ideographic\u3000space", "zero\u200bwidth", "en\u2002space em\u2003space", "line\u2028separator",
    "nel\u0085char", "bom\ufeffchar", "soft\u00adhyphen", "control\x00char", "bell\x07x", "del\x7fx",
    "unit\x1fsep", "file\x1csep x", "“curly quotes”", "‘single’ quotes", "don’t", "it’s", "em—dash",
    "en–dash", "ellipsis…", "¡Hola! ¿Qué tal?", "«guillemets»", "°C and °F", "€5 £3 ¥100 $7", "© ® ™",
    "∑ ∫ √ ∞ ≠", "→ ← ↑ ↓", "&amp;", "fish &amp; chips", "&lt;b&gt;bold&lt;/b&gt;", "&#39;quoted&#39;",
    "&quot;hi&quot;", "&amp;amp;", "AT&T", "Q&A", "<b>html</b>", "http://example.com/a?b=c&d=e",
    "user@example.com", "#hashtag @mention", "C++ and C#", "3.14159", "1,234,567", "12345678901234567890",
    "-42", "+7", "1e10", "v2.0.1", "9/11", "24/7", "10:30", "1st 2nd 3rd 4th", "the 1990s", "$$$", "!!!",
    "?!?!", "...", "--", "__init__", "snake_case_name", "CamelCaseName", "ALLCAPS", "mIxEd CaSe",
    "a.b.c", "(parenthesized)", "[brackets]", "{braces}", "quote\"inside", "back\\slash", "pipe|char",
    "<|endoftext|>", "a <|endoftext|> b", "x<|startoftext|>y", "<|endoftext|><|endoftext|>",
    "<|ENDOFTEXT|>", "<|endoftext", "<start_of_text>", "</w>", "a</w>b", "<|", "|>",
    "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 300, "ab" * 150, "1" * 100, "!" * 100, "🐶" * 40, "猫" * 100, " " * 50 + "x", "x" + " " * 50,
    "word " * 120,
    "A very long caption that goes on and on, describing a busy city street at dusk with many people, "
    "cars, buses, bicycles, street vendors, tall buildings, neon signs, traffic lights, pigeons, umbrellas, "
    "and a dog chasing a red ball across the wet pavement while a man in a yellow raincoat waits at the "
    "corner holding a cup of coffee and reading a newspaper about the 2024 elections, sports and weather.",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 "
    "35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50",
]

# Pools for the random strings: ASCII, accented Latin, combining marks, exotic spaces, CJK, emoji, other scripts.
POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", " ", " ", "  ",
    "\t\n\r", ".,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`", "'s't're've'm'll'd", "éèêëàâäôöûüçñÉÀÇÑßøåæœ",
    "\u0300\u0301\u0302\u0303\u0308\u0327\u0323", "\u00a0\u2002\u2003\u3000\u200b\u2028\u0085",
    "一二三猫狗人山水日本語中文", "あいうえおカタカナ", "한국어", "🐶🐱😀👍🏽❤️🇯🇵\u200d", "αβγΣσςΩ", "абвгдЖЗИ",
    "ابتثج", "अआइई\u093f\u0947", "²³½①Ⅻ٣१", "ﬁﬂＡＢ１２",
]


def random_string(rng):
    length = rng.randint(1, 40)
    out = []
    for _ in range(length):
        pool = rng.choice(POOLS)
        out.append(rng.choice(pool) if rng.random() < 0.7 else pool[: rng.randint(1, min(4, len(pool)))])
    return "".join(out)


def random_caption(rng):
    text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"
    r = rng.random()
    if r < 0.2:
        text = text.capitalize()
    elif r < 0.25:
        text = text.upper()
    elif r < 0.3:
        text = "  " + text + " \n"
    elif r < 0.35:
        text = text.replace(" ", "  ")
    return text


def build_texts():
    rng = random.Random(20240613)
    texts = list(EDGE_CASES)
    texts += [random_caption(rng) for _ in range(150)]
    texts += [random_string(rng) for _ in range(120)]
    seen, unique = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


# ---------------------------------------------------------------------------------------------------------
# References


def load_simple_tokenizer():
    """OpenAI's SimpleTokenizer as open_clip ships it, loaded from its file (importing the open_clip package
    would pull torchvision)."""
    try:
        import open_clip  # noqa: F401  (only to locate the file; fails without torchvision)
        path = os.path.join(os.path.dirname(open_clip.__file__), "tokenizer.py")
    except Exception:
        hits = glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "open_clip", "tokenizer.py"))
        if not hits:
            return None, "open_clip is not installed"
        path = hits[0]
    try:
        spec = importlib.util.spec_from_file_location("open_clip_tokenizer", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module, None
    except Exception as e:  # ftfy, regex or torch missing
        return None, f"cannot load {path}: {e}"


def find_tiktoken_source(arg):
    if arg:
        return arg
    hits = sorted(glob.glob(os.path.join(REPO, ".cache", "downloads", "openai_whisper-*.tar.gz")))
    return hits[-1] if hits else None


def clip_cases(vocab_dir, texts):
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(os.path.join(vocab_dir, "clip"))
    simple, why = load_simple_tokenizer()
    if simple is None:
        print(f"notice: SimpleTokenizer cross-check skipped: {why}")
    normalizer = tok.backend_tokenizer.normalizer
    cases, compared, differing = [], 0, 0
    for text in texts:
        ids = tok(text)["input_ids"]
        truncated = tok(text, truncation=True, max_length=77)["input_ids"]
        assert len(truncated) <= 77 and truncated[0] == 49406 and truncated[-1] == 49407, text
        case = {"text": text, "ids": ids, "ids_truncated": truncated,
                "decoded": tok.decode(ids, skip_special_tokens=True)}
        if simple is not None:
            tokenizer = simple._tokenizer
            if any(s in text for s in ("<|startoftext|>", "<|endoftext|>")) or \
                    any(s in text.lower() for s in ("<start_of_text>", "<end_of_text>")):
                case["simple_tokenizer"] = "special-token literal: each tokenizer has its own"
                differing += 1
            elif simple._clean_lower(text) != normalizer.normalize_str(text).strip(" "):
                case["simple_tokenizer"] = "ftfy/html/lower() cleanup differs"
                differing += 1
            else:
                theirs = [49406] + tokenizer.encode(text) + [49407]
                if theirs != ids:
                    raise SystemExit(f"CLIP mismatch with SimpleTokenizer on {text!r}:\n  HF   {ids}\n  "
                                     f"orig {theirs}")
                case["simple_tokenizer"] = "same"
                compared += 1
        cases.append(case)
    if simple is not None:
        print(f"clip: {compared} cases equal SimpleTokenizer; {differing} not compared (cleanup or specials differ)")
    return cases


def gpt2_cases(vocab_dir, texts, tiktoken_source):
    from transformers import GPT2Tokenizer

    tok = GPT2Tokenizer.from_pretrained(os.path.join(vocab_dir, "gpt2"))
    enc = None
    if tiktoken_source is None:
        print("notice: tiktoken cross-check skipped: no gpt2.tiktoken (run scripts/fetch_vocabs.sh)")
    else:
        try:
            import tiktoken
            from convert_vocabs import read_tiktoken
            enc = tiktoken.Encoding(name="gpt2-ranks", pat_str=GPT2_PATTERN,
                                    mergeable_ranks=read_tiktoken(tiktoken_source),
                                    special_tokens={"<|endoftext|>": 50256})
        except ImportError as e:
            print(f"notice: tiktoken cross-check skipped: {e}")
    cases = []
    for text in texts:
        ids = tok(text)["input_ids"]
        decoded = tok.decode(ids)
        if enc is not None:
            theirs = enc.encode(text, allowed_special="all")
            if theirs != ids:
                raise SystemExit(f"GPT-2 mismatch with tiktoken on {text!r}:\n  HF       {ids}\n  tiktoken {theirs}")
            if enc.decode(ids) != decoded:
                raise SystemExit(f"GPT-2 decode mismatch with tiktoken on {text!r}")
        cases.append({"text": text, "ids": ids, "decoded": decoded})
    # Decode-only cases: cut ids of texts with multi-byte characters so some bytes are left dangling.
    rng = random.Random(7)
    multibyte = [c for c in cases if any(ord(ch) > 0x7F for ch in c["text"]) and len(c["ids"]) >= 3]
    for c in rng.sample(multibyte, min(40, len(multibyte))):
        ids = c["ids"]
        i = rng.randrange(0, len(ids) - 1)
        j = rng.randrange(i + 1, len(ids) + 1)
        piece = ids[i:j]
        decoded = tok.decode(piece)
        if enc is not None and enc.decode(piece) != decoded:
            raise SystemExit(f"GPT-2 decode mismatch with tiktoken on ids {piece}")
        cases.append({"text": None, "ids": piece, "decoded": decoded})
    for piece in ([50256], [50256, 464, 50256], [99999, 464], [447], [447, 247], [171, 120]):
        cases.append({"text": None, "ids": piece, "decoded": tok.decode(piece)})
    print(f"gpt2: {sum(c['text'] is not None for c in cases)} encode cases match tiktoken"
          if enc is not None else "gpt2: not cross-checked")
    return cases


def unicode_classes(vocab_dir):
    """Every code point through the reference's own regex engine and Lowercase normalizer."""
    from tokenizers import Regex, normalizers, pre_tokenizers

    split = pre_tokenizers.Split(Regex(r"[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"), behavior="removed", invert=True)
    space = normalizers.Replace(Regex(r"\s+"), " ")
    lower = normalizers.Lowercase()
    classes, lowered = [], {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            classes.append("X")
            continue
        ch = chr(cp)
        if space.normalize_str("a" + ch + "b") == "a b":
            k = "S"
        elif len(split.pre_tokenize_str("a" + ch + "a")) == 1:
            k = "L"
        elif len(split.pre_tokenize_str("!" + ch + "!")) == 1:
            k = "O"
        else:
            k = "N"
        classes.append(k)
        low = lower.normalize_str(ch)
        if low != ch:
            lowered[str(cp)] = [ord(x) for x in low]
    runs, start = [], 0
    for i in range(1, len(classes) + 1):
        if i == len(classes) or classes[i] != classes[start]:
            if classes[start] != "X":
                runs.append([start, i - 1, classes[start]])
            start = i
    return {"runs": runs, "lower": lowered}


def write_json(path, obj):
    # One case (or one run) per line, so a regenerated fixture diffs readably.
    def dump(x):
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"))
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(obj, list):
            f.write("[\n" + ",\n".join(dump(x) for x in obj) + "\n]\n")
        else:
            f.write("{\n" + ",\n".join(
                f"{dump(k)}:[\n" + ",\n".join(dump(x) for x in v) + "\n]" if isinstance(v, list) else f"{dump(k)}:{dump(v)}"
                for k, v in obj.items()) + "\n}\n")
    size = os.path.getsize(path)
    print(f"wrote {os.path.relpath(path, REPO)} ({size // 1024} KB)")
    assert size < 300 * 1024, f"{path} is over 300 KB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", default=os.environ.get("CLIPCAP_VOCAB_DIR", os.path.join(REPO, ".cache", "vocab")))
    ap.add_argument("--gpt2-tiktoken", help="gpt2.tiktoken or the openai-whisper sdist (default: .cache/downloads)")
    ap.add_argument("--out", default=os.path.join(HERE, "tokenizers"))
    args = ap.parse_args()
    for name in ("clip", "gpt2"):
        for f in ("vocab.json", "merges.txt"):
            if not os.path.exists(os.path.join(args.vocab, name, f)):
                raise SystemExit(f"{args.vocab}/{name}/{f} is missing: run scripts/fetch_vocabs.sh first")
    os.makedirs(args.out, exist_ok=True)
    texts = build_texts()
    print(f"{len(texts)} texts")
    write_json(os.path.join(args.out, "clip_cases.json"), clip_cases(args.vocab, texts))
    write_json(os.path.join(args.out, "gpt2_cases.json"),
               gpt2_cases(args.vocab, texts, find_tiktoken_source(args.gpt2_tiktoken)))
    write_json(os.path.join(args.out, "unicode_classes.json"), unicode_classes(args.vocab))


if __name__ == "__main__":
    main()
