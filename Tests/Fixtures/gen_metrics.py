#!/usr/bin/env python3
"""Generates the caption-metric parity fixture Tests/Fixtures/metrics/corpus.json (seeded, deterministic).

Reference: pycocoevalcap 1.2 (`pip install pycocoevalcap`), which ships
  tokenizer/stanford-corenlp-3.4.1.jar   the Stanford PTBTokenizer run by tokenizer/ptbtokenizer.py
  meteor/meteor-1.5.jar (+ data/)        METEOR 1.5, run by meteor/meteor.py
  spice/spice-1.0.jar                    SPICE; it also needs Stanford CoreNLP 3.6.0 models that
                                         spice/get_stanford_models.py downloads, so it is not used here.
Java must be on PATH (the tokenizer needs it; METEOR too). pycocoevalcap 1.2 is a namespace package (no
__init__.py, so `pycocoevalcap.__file__` is None): its folder is `pycocoevalcap.__path__[0]`.

The corpus is written here, not taken from a dataset: 250 images with 5 references and 1 candidate each,
built from caption templates with punctuation, contractions, hyphens, numbers, possessives, quotes,
parentheses, abbreviations, uppercase, Unicode quotes and dashes, repeated words, very short and very long
candidates, an empty candidate, and candidates sharing no n-gram with their references.

The fixture holds, per image: the raw candidate and references; the raw PTB output of the jar for every
sentence (lowercased tokens joined by spaces, punctuation kept), produced exactly as ptbtokenizer.py
runs the jar (one file per caption set, one caption per line); pycocoevalcap's tokenized strings (what
its scorers receive); and the per-image scores of Bleu(4), Meteor(), Rouge() and Cider(). It also holds
the corpus scores and the wall time pycocoevalcap took (tokenization + BLEU + ROUGE-L + CIDEr).

Usage: python3 Tests/Fixtures/gen_metrics.py [--no-meteor]
"""
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time

import pycocoevalcap
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer import ptbtokenizer
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "metrics")
SEED = 20240611
IMAGES = 250

# ---------------------------------------------------------------------------------------------------
# The corpus

SUBJECTS = [
    ("a man", "the man", "a guy", "a person"), ("a woman", "the lady", "a girl", "a person"),
    ("two dogs", "a pair of dogs", "the dogs", "two puppies"), ("a black cat", "the cat", "a kitten", "a cat"),
    ("a young boy", "the kid", "a little boy", "a child"), ("three people", "a group of people", "some friends", "people"),
    ("a giraffe", "the tall giraffe", "a giraffe", "an animal"), ("an elephant", "the elephant", "a large elephant", "an animal"),
    ("a skateboarder", "the skater", "a young man", "a teenager"), ("a chef", "the cook", "a man in an apron", "a cook"),
    ("a red bus", "the double-decker bus", "a city bus", "a bus"), ("a surfer", "the surfer", "a man", "someone"),
    ("a zebra", "two zebras", "the zebra", "zebras"), ("a baseball player", "the batter", "a player", "a man"),
    ("an old woman", "the grandmother", "an elderly lady", "a woman"), ("a horse", "the brown horse", "a pony", "a horse"),
]
ACTIONS = [
    ("riding", "rides", "is riding"), ("holding", "holds", "is holding"), ("sitting on", "sits on", "is sitting on"),
    ("standing next to", "stands by", "is standing near"), ("playing with", "plays with", "is playing with"),
    ("looking at", "looks at", "is looking at"), ("eating", "eats", "is eating"), ("carrying", "carries", "is carrying"),
    ("jumping over", "jumps over", "is jumping over"), ("walking past", "walks past", "is walking by"),
]
OBJECTS = [
    "a surfboard", "a frisbee", "a slice of pizza", "a wooden bench", "a red kite", "an umbrella",
    "a tennis racket", "a laptop computer", "a bowl of fruit", "a fire hydrant", "a stop sign",
    "a skateboard", "a cell phone", "a teddy bear", "a plate of food", "a parked car", "a bicycle", "a cake",
]
PLACES = [
    "on the beach", "in a park", "at the zoo", "on a busy street", "in the kitchen", "near the water",
    "in a grassy field", "at night", "in the snow", "on a sunny day", "in front of a building", "at the station",
]
EXTRAS = [
    "", "", "", ".", ".", "!", " (in the background)", ", smiling", " -- it's sunny", "...", " & a dog",
    " while it's raining", ", 10-year-old style", " near St. Mark's", " in the U.S.", " at 3:30 p.m.",
    " with 2 friends", " for $5", " (about 1,000 feet)", " 100% happy", " in black-and-white", " on 5th Ave.",
]
QUIRKS = [
    lambda s: s.upper(), lambda s: s.capitalize(), lambda s: s.title(), lambda s: s.replace("'", "\u2019"),
    lambda s: '"' + s + '"', lambda s: "\u201c" + s + "\u201d", lambda s: s.replace(" -- ", " \u2014 "),
    lambda s: s + " Don't you think?", lambda s: "It's " + s, lambda s: s.replace("a ", "a a ", 1),
    lambda s: s + " The man's hat is red.", lambda s: s.replace("cafe", "caf\u00e9"), lambda s: "'" + s + "'",
    lambda s: s + " ... wow", lambda s: s + " (Mr. Smith's dog)", lambda s: s.replace(" ", "  ", 2),
    lambda s: s + " 1/2", lambda s: s + " e.g. dogs, cats; etc.", lambda s: "Look: " + s + "?!",
]
NONSENSE = ["quantum xylophone", "purple monkey dishwasher", "zzz qqq", "lorem ipsum dolor sit amet",
            "colorless green ideas sleep furiously", "nothing", "EMPTY", "12345", "???", "-- --"]


def sentence(rng, scene, variant):
    subj, act, obj, place = scene
    s = subj[variant % len(subj)]
    a = act[variant % len(act)]
    text = f"{s} {a} {obj} {place}{rng.choice(EXTRAS)}"
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        text = rng.choice(QUIRKS)(text)
    if rng.random() < 0.15 and not text.endswith("."):
        text += "."
    return text


def candidate(rng, scene, index):
    kind = index % 12
    subj, act, obj, place = scene
    if index == 7:
        return ""                                   # an empty candidate
    if kind == 0:
        return rng.choice(NONSENSE)                 # no n-gram shared with the references
    if kind == 1:
        return rng.choice(["a dog.", "man", "A", "people .", "two"])   # very short
    if kind == 2:                                   # very long, repetitive
        parts = [sentence(rng, scene, v) for v in range(4)]
        return " and ".join(parts) + " " + " ".join([subj[0]] * 5) + " " + rng.choice(PLACES) * 2
    if kind == 3:
        return f"{subj[0]} {subj[0]} {act[0]} {act[0]} {obj} {obj}"   # repeated words
    if kind == 4:                                   # the right scene, the wrong object
        return f"{subj[1]} {act[1]} {rng.choice(OBJECTS)} {place}."
    return sentence(rng, scene, rng.randrange(4))


def build_corpus():
    rng = random.Random(SEED)
    images = []
    for i in range(IMAGES):
        scene = (rng.choice(SUBJECTS), rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(PLACES))
        refs = [sentence(rng, scene, v) for v in range(5)]
        rng.shuffle(refs)
        # Image ids: COCO-like integers, not in order.
        images.append({"image_id": 100000 + (i * 7919) % 500000, "candidate": candidate(rng, scene, i), "references": refs})
    return images


# ---------------------------------------------------------------------------------------------------
# The jar's raw PTB output, run exactly as ptbtokenizer.py runs it

def raw_ptb_lines(captions):
    """The jar's output lines for captions written one per line, as PTBTokenizer.tokenize writes them."""
    jar_dir = os.path.dirname(os.path.abspath(ptbtokenizer.__file__))
    sentences = "\n".join(c.replace("\n", " ") for c in captions)
    with tempfile.NamedTemporaryFile(delete=False, dir=jar_dir) as f:
        f.write(sentences.encode())
        name = f.name
    try:
        cmd = ["java", "-cp", ptbtokenizer.STANFORD_CORENLP_3_4_1_JAR, "edu.stanford.nlp.process.PTBTokenizer",
               "-preserveLines", "-lowerCase", os.path.basename(name)]
        out = subprocess.run(cmd, cwd=jar_dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    finally:
        os.remove(name)
    lines = out.decode().split("\n")
    return [line.rstrip() for line in lines[:len(captions)]]


def punctuation_removed(line):
    return " ".join(w for w in line.rstrip().split(" ") if w not in ptbtokenizer.PUNCTUATIONS)


# ---------------------------------------------------------------------------------------------------

def main():
    use_meteor = "--no-meteor" not in sys.argv
    images = build_corpus()
    gts = {im["image_id"]: [{"caption": c} for c in im["references"]] for im in images}
    res = {im["image_id"]: [{"caption": im["candidate"]}] for im in images}

    # pycocoevalcap, timed: tokenization + BLEU + ROUGE-L + CIDEr (what the Swift side replaces).
    start = time.perf_counter()
    tokenizer = PTBTokenizer()
    gts_tok = tokenizer.tokenize(gts)
    res_tok = tokenizer.tokenize(res)
    t_tokenize = time.perf_counter() - start
    bleu, bleu_per = Bleu(4).compute_score(gts_tok, res_tok, verbose=0)
    rouge, rouge_per = Rouge().compute_score(gts_tok, res_tok)
    cider, cider_per = Cider().compute_score(gts_tok, res_tok)
    t_total = time.perf_counter() - start

    corpus = {f"BLEU_{k + 1}": float(bleu[k]) for k in range(4)}
    per_image = {f"BLEU_{k + 1}": [float(x) for x in bleu_per[k]] for k in range(4)}
    corpus["ROUGE_L"] = float(rouge)
    per_image["ROUGE_L"] = [float(x) for x in rouge_per]
    corpus["CIDEr"] = float(cider)
    per_image["CIDEr"] = [float(x) for x in cider_per]

    meteor_note = "not run (--no-meteor)"
    if use_meteor:
        try:
            from pycocoevalcap.meteor.meteor import Meteor
            m_score, m_per = Meteor().compute_score(gts_tok, res_tok)
            corpus["METEOR"] = float(m_score)
            per_image["METEOR"] = [float(x) for x in m_per]
            meteor_note = "pycocoevalcap meteor/meteor-1.5.jar"
        except Exception as e:  # Java missing or too little memory: the fixture is still useful without it
            meteor_note = f"not run: {e}"
            print("METEOR skipped:", e, file=sys.stderr)

    # The raw jar output for every sentence, and a check that pycocoevalcap's strings are these lines
    # with its punctuation removed.
    ref_lines = raw_ptb_lines([c for im in images for c in im["references"]])
    cand_lines = raw_ptb_lines([im["candidate"] for im in images])
    k = 0
    for im, cand in zip(images, cand_lines):
        refs = ref_lines[k:k + len(im["references"])]
        k += len(im["references"])
        im["ptb_candidate"] = cand
        im["ptb_references"] = refs
        im["tokenized_candidate"] = res_tok[im["image_id"]][0]
        im["tokenized_references"] = gts_tok[im["image_id"]]
        assert punctuation_removed(cand) == im["tokenized_candidate"], (cand, im["tokenized_candidate"])
        assert [punctuation_removed(r) for r in refs] == im["tokenized_references"]

    java = subprocess.run(["java", "-version"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL).stderr.decode()
    fixture = {
        "about": "Generated by Tests/Fixtures/gen_metrics.py; do not edit.",
        "seed": SEED,
        "reference": "pycocoevalcap 1.2 (PTBTokenizer stanford-corenlp-3.4.1, Bleu(4), Rouge(), Cider(), Meteor())",
        "meteor": meteor_note,
        "java": java.splitlines()[0] if java else "unknown",
        "python": platform.python_version(),
        "timing_seconds": {"pycocoevalcap_tokenize": round(t_tokenize, 4),
                           "pycocoevalcap_tokenize_bleu_rouge_cider": round(t_total, 4)},
        "column_order": ["BLEU_1", "BLEU_2", "BLEU_3", "BLEU_4", "METEOR", "ROUGE_L", "CIDEr"],
        "corpus": corpus,
        "per_image": per_image,
        "images": images,
    }
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "corpus.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(images)} images, {os.path.getsize(path)} bytes; "
          f"pycocoevalcap tokenize {t_tokenize:.2f}s, tokenize+BLEU+ROUGE+CIDEr {t_total:.2f}s; METEOR {meteor_note}")


if __name__ == "__main__":
    main()
