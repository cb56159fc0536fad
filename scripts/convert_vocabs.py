#!/usr/bin/env python3
"""Convert the original CLIP and GPT-2 BPE files into Hugging Face `vocab.json` + `merges.txt`.

Pure standard library (no torch, no tokenizers), so CI can run it anywhere.

  CLIP:  open_clip's / OpenAI CLIP's `bpe_simple_vocab_16e6.txt.gz` (a merges list). The vocabulary is built as
         CLIP's simple_tokenizer and HF's openai/clip-vit-base-patch32 build it: the 256 byte characters, the same
         with `</w>`, one token per merge (the pair joined), then `<|startoftext|>` (49406) and `<|endoftext|>`
         (49407). The merges are lines 1 ..< 49152-256-2+1 of the file (line 0 is a version header).
  GPT-2: a tiktoken rank file (`gpt2.tiktoken`: base64 token, rank), read as is or from inside the
         openai-whisper sdist (`whisper/assets/gpt2.tiktoken`). Token strings are the bytes mapped through GPT-2's
         byte↔unicode table. Merges are recovered in rank order: for each multi-byte token, running byte-level BPE
         with only the lower ranks leaves exactly two parts, and those two parts are its merge. `<|endoftext|>` = 50256.

Usage: convert_vocabs.py --clip-bpe FILE.txt.gz --gpt2-tiktoken FILE|SDIST.tar.gz --out DIR
Writes DIR/clip/{vocab.json,merges.txt} and DIR/gpt2/{vocab.json,merges.txt}; either source may be omitted.
"""

import argparse
import base64
import gzip
import json
import os
import sys
import tarfile

MERGES_HEADER = "#version: 0.2"


def bytes_to_unicode():
    """GPT-2's reversible byte → printable-character table (same table in CLIP)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_vocab(out_dir, vocab, merges):
    os.makedirs(out_dir, exist_ok=True)
    # Same formatting as the HF hub files: compact JSON, non-ASCII kept as is.
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(MERGES_HEADER + "\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


def convert_clip(bpe_gz_path, out_dir):
    lines = gzip.open(bpe_gz_path).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    for i, m in enumerate(merges):
        if len(m) != 2:
            raise ValueError(f"{bpe_gz_path}: line {i + 2} is not a merge pair: {m!r}")
    tokens = list(bytes_to_unicode().values())
    tokens = tokens + [t + "</w>" for t in tokens]
    tokens += ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != len(tokens) or len(vocab) != 49408:
        raise ValueError(f"{bpe_gz_path}: expected 49408 distinct tokens, got {len(vocab)}")
    write_vocab(out_dir, vocab, merges)
    return len(vocab), len(merges)


def read_tiktoken(path):
    """Returns {token bytes: rank} from a .tiktoken file or from the whisper sdist that carries one."""
    if path.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path, "r:gz") as tar:
            member = next((m for m in tar.getmembers() if m.name.endswith("whisper/assets/gpt2.tiktoken")), None)
            if member is None:
                raise ValueError(f"{path}: no whisper/assets/gpt2.tiktoken inside")
            data = tar.extractfile(member).read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    ranks = {}
    for n, line in enumerate(data.splitlines()):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}: line {n + 1} is not 'base64 rank'")
        ranks[base64.b64decode(parts[0])] = int(parts[1])
    return ranks


def bpe_parts(ranks, token, max_rank):
    """tiktoken's merge loop on `token`'s bytes, using only merges whose result ranks below `max_rank`."""
    parts = [bytes([b]) for b in token]
    while True:
        best_i, best_rank = None, None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and r < max_rank and (best_rank is None or r < best_rank):
                best_i, best_rank = i, r
        if best_i is None:
            return parts
        parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]


def convert_gpt2(tiktoken_path, out_dir):
    ranks = read_tiktoken(tiktoken_path)
    byte_map = bytes_to_unicode()

    def to_str(b):
        return "".join(byte_map[x] for x in b)

    by_rank = sorted(ranks.items(), key=lambda kv: kv[1])
    if [r for _, r in by_rank] != list(range(len(by_rank))):
        raise ValueError(f"{tiktoken_path}: ranks are not 0..<{len(by_rank)}")
    merges = []
    for token, rank in by_rank:
        if len(token) == 1:
            continue
        parts = bpe_parts(ranks, token, rank)
        if len(parts) != 2:
            raise ValueError(f"{tiktoken_path}: token rank {rank} does not split into two lower-rank parts")
        merges.append((to_str(parts[0]), to_str(parts[1])))
    vocab = {to_str(t): r for t, r in by_rank}
    vocab["<|endoftext|>"] = len(by_rank)
    if len(vocab) != 50257:
        raise ValueError(f"{tiktoken_path}: expected 50257 tokens with <|endoftext|>, got {len(vocab)}")
    write_vocab(out_dir, vocab, merges)
    return len(vocab), len(merges)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip-bpe", help="bpe_simple_vocab_16e6.txt.gz")
    ap.add_argument("--gpt2-tiktoken", help="gpt2.tiktoken, or the openai-whisper sdist .tar.gz")
    ap.add_argument("--out", required=True, help="output folder; gets clip/ and gpt2/")
    args = ap.parse_args(argv)
    if args.clip_bpe:
        n, m = convert_clip(args.clip_bpe, os.path.join(args.out, "clip"))
        print(f"clip: {n} tokens, {m} merges -> {os.path.join(args.out, 'clip')}")
    if args.gpt2_tiktoken:
        n, m = convert_gpt2(args.gpt2_tiktoken, os.path.join(args.out, "gpt2"))
        print(f"gpt2: {n} tokens, {m} merges -> {os.path.join(args.out, 'gpt2')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
