#!/usr/bin/env python3
"""Golden token ids for the caption decoders (Tests/DecodingTests), from the tiny GPT-2 fixture.

Dev-only: needs torch + transformers (pip). Run from the repo root:  python3 Tests/Fixtures/gen_decoding.py
Needs Tests/Fixtures/tiny-gpt2 (written by gen_models.py). Takes about a minute on 2 cores.

What is compared
----------------
* Greedy: transformers' `generate(inputs_embeds=..., do_sample=False)` with a KV cache.
* Beam: the ranking of the official ClipCap `generate_beam` (rmokady/CLIP_prefix_caption), reimplemented
  below from its semantics (`official_beam`), and, beside it, transformers' beam search.

HF beam search versus the official ClipCap ranking
--------------------------------------------------
Both score a candidate by its summed log-probability divided by its generated length (the stop token
included), so `length_penalty=1.0` is the matching setting. They agree exactly as long as no stop token enters
the kept beams before the last step: every live beam then has the same length, so ranking by the average
is ranking by the sum, which is what HF does for its running beams, and at the maximum length both pick the
best average. They differ once a beam stops early:
  * official: a stopped beam keeps its slot among the N beams (its only continuation is a dummy token 0 at
    log-probability 0, with its length frozen) and competes with the live candidates by *average*
    log-probability; it can be pushed out by a live candidate with a better average, and while it holds
    its slot only N - 1 (or fewer) beams keep growing. Decoding ends when all N slots are stopped or at
    the maximum length, and the best average among the N slots wins.
  * HF: a finished hypothesis leaves the beam for a separate pool of N finished hypotheses, and N live
    beams always keep growing (it ranks the running beams by the raw sum). The pool keeps the best N by
    average; `early_stopping` decides when to stop (True: once N hypotheses finished; False: a heuristic;
    "never": only when no running beam could still win).
No `early_stopping` value reproduces the official slots, so a case in which a beam stops early can give
a different caption. `choose_hf_early_stopping` picks the setting that agrees most often with the
official ranking on a pool of rows (it prints the agreement rates); each beam fixture stores both outputs and
which rows agree, and the Swift decoder, which implements the official ranking, is tested against
`expected` (official) everywhere and equals HF where `hf_agrees`.

Fixture rows
------------
The tiny model is random, so the end token 119 is rare. Each case draws a pool of seeded random prefix
rows (N(0, 1), shape (4, 36)) and picks, in pool order, a row that stops early on the stop token (after at
least 3 tokens), a row that runs to the maximum length, and (for beam) a row on which HF and official
ClipCap disagree when there is one. Rows are kept only when every decision along their path has a clear
margin (top-1 vs top-2 logit for greedy, N-th vs (N+1)-th average for beam, best vs second final average),
so the float32 differences between this and the Swift forward pass cannot flip them.

Output: Tests/Fixtures/decoding/<case>.json with the prefix (B, P, C), start tokens, stop tokens,
max_new_tokens, strategy, beam width, and `expected` token lists: the start tokens, then the generated
tokens up to and including the first stop token (HF's padding after it is cut).
"""
import json
import os

import torch
from transformers import GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decoding")

EOS = 119              # the tiny model's eos_token_id
PERIOD = 106           # stands in for GPT-2's "." (13): a frequent mid-sequence token of this random model
START = [40, 88]       # stand-in start words: two arbitrary ids
MAX_NEW = 20           # P + len(START) + MAX_NEW - 1 = 25 fits the 40 positions
B, P, C = 3, 4, 36
BEAM = 4
GREEDY_MARGIN = 1e-3   # logits (O(10)); the Swift logits match HF to ~1e-5
BEAM_MARGIN = 1e-4     # average log-probabilities
POOL = 3000


def load_model():
    model = GPT2LMHeadModel.from_pretrained(os.path.join(HERE, "tiny-gpt2")).eval()
    return model


def with_start(model, prefix, start):
    """ClipCap's input: the prefix embeddings followed by the start words' token embeddings."""
    if not start:
        return prefix
    ids = torch.tensor([start] * prefix.shape[0])
    return torch.cat([prefix, model.transformer.wte(ids)], dim=1)


def cut(row, stops):
    """HF's output row up to and including the first stop token."""
    out = []
    for t in row:
        out.append(int(t))
        if t in stops:
            break
    return out


@torch.no_grad()
def hf_generate(model, embeds, stops, **kwargs):
    stop = sorted(stops)
    out = model.generate(inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
                         max_new_tokens=MAX_NEW, eos_token_id=stop, pad_token_id=stop[0], use_cache=True, **kwargs)
    return [cut(r, stops) for r in out.tolist()]


@torch.no_grad()
def greedy_margin(model, embed, tokens):
    """Smallest top-1 minus top-2 logit along one greedy path (one row, no cache, recomputed)."""
    x = embed[None]
    margin = float("inf")
    for t in tokens:
        logits = model(inputs_embeds=x).logits[0, -1]
        top = logits.topk(2).values
        margin = min(margin, float(top[0] - top[1]))
        x = torch.cat([x, model.transformer.wte(torch.tensor([[t]]))], dim=1)
    return margin


@torch.no_grad()
def official_beam(model, embed, width, max_new, stops):
    """The official ClipCap `generate_beam` ranking for one row (embed: (T, C)), written from its semantics:

    step 0: the top `width` tokens of the first distribution start the beams (length 1, score = log-prob).
    Later steps: every live beam proposes each token with (score + log-prob) / (length + 1); a stopped beam
    proposes only itself (the official code appends a dummy token 0 at log-prob 0 and does not grow its
    length), with score / length. The best `width` proposals by that average become the beams. A beam stops
    when it emits a stop token (which counts in its length and score). The loop ends when every beam has
    stopped or after `max_new` tokens; the beam with the best average wins, cut to its length.
    Returns (tokens, margin, early): margin is the smallest gap between the kept and the best dropped
    average at any step, and between the winner and the runner-up at the end; early tells whether a beam
    stopped before the last step (only then can transformers' beam search differ).
    """
    vocab = model.config.vocab_size
    x = embed[None]
    logp = model(inputs_embeds=x).logits[0, -1].float().softmax(-1).log()
    top = logp.topk(width + 1)
    margin = float(top.values[width - 1] - top.values[width])
    beams = [[int(t)] for t in top.indices[:width]]
    scores = top.values[:width].clone()
    lengths = torch.ones(width)
    stopped = torch.tensor([b[-1] in stops for b in beams])
    early = bool(stopped.any()) and max_new > 1
    x = x.expand(width, -1, -1)
    x = torch.cat([x, model.transformer.wte(torch.tensor([[b[-1]] for b in beams]))], dim=1)
    for _ in range(max_new - 1):
        if bool(stopped.all()):
            break
        logp = model(inputs_embeds=x).logits[:, -1].float().softmax(-1).log()
        logp[stopped] = -float("inf")
        logp[stopped, 0] = 0
        total = scores[:, None] + logp
        lengths = lengths + (~stopped).float()
        average = (total / lengths[:, None]).view(-1)
        best = average.topk(width + 1)
        margin = min(margin, float(best.values[width - 1] - best.values[width]))
        source, token = best.indices[:width] // vocab, best.indices[:width] % vocab
        lengths, stopped = lengths[source], stopped[source]
        scores = total.view(-1)[best.indices[:width]]
        beams = [beams[s] + ([int(t)] if not stopped[i] else []) for i, (s, t) in enumerate(zip(source.tolist(), token.tolist()))]
        stopped = stopped | torch.tensor([(not was) and (t in stops) for was, t in zip(stopped.tolist(), token.tolist())])
        x = torch.cat([x[source], model.transformer.wte(token[:, None])], dim=1)
        early = early or (bool(stopped.any()) and int(lengths.max()) < max_new)
    final = scores / lengths
    order = final.argsort(descending=True)
    if width > 1:
        margin = min(margin, float(final[order[0]] - final[order[1]]))
    return beams[int(order[0])], margin, early


def official_beam_rows(model, embeds, width, stops):
    return [official_beam(model, e, width, MAX_NEW, stops) for e in embeds]


def pool_prefixes(seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(POOL, P, C, generator=g)


def pick(order, wanted, kinds, clean):
    """One pool row per wanted kind: the first in `order` with that kind (`kinds(i)`, a set) that is also
    `clean(i)` (its decisions have clear margins; checked lazily, because it reruns the model)."""
    chosen, checked = [], {}
    for want in wanted:
        for i in order:
            if i in chosen or want not in kinds(i):
                continue
            if i not in checked:
                checked[i] = clean(i)
            if checked[i]:
                chosen.append(i)
                break
        else:
            raise LookupError(want)
    return chosen


def greedy_case(model, name, seed, start, stops):
    pool = pool_prefixes(seed)
    embeds = with_start(model, pool, start)
    hf = hf_generate(model, embeds, stops, do_sample=False, num_beams=1)

    def kinds(i):
        row = hf[i]
        stopped = row[-1] in stops
        return {"any", "stops" if stopped and 3 <= len(row) < MAX_NEW else "runs" if not stopped else "other"}

    rows = pick(range(len(hf)), ["stops", "runs", "any"], kinds,
                lambda i: greedy_margin(model, embeds[i], hf[i]) > GREEDY_MARGIN)
    expected = [start + hf[i] for i in rows]
    write(name, pool[rows], start, stops, "greedy", 1, expected, {})


def beam_case(model, name, seed, start, stops, hf_early_stopping):
    pool = pool_prefixes(seed)
    embeds = with_start(model, pool, start)
    hf = hf_generate(model, embeds, stops, do_sample=False, num_beams=BEAM, length_penalty=1.0,
                     early_stopping=hf_early_stopping, num_return_sequences=1)
    official = {}

    def run(i):
        if i not in official:
            official[i] = official_beam(model, embeds[i], BEAM, MAX_NEW, stops)
        return official[i]

    # Rows whose HF search ended on a stop token come first: the official search there likely meets one too.
    stop_rows = [i for i, h in enumerate(hf) if h[-1] in stops]
    order = (stop_rows + [i for i in range(len(hf)) if hf[i][-1] not in stops])[:400]

    def kinds(i):
        row = run(i)[0]
        k = {"any", "stops" if row[-1] in stops and 3 <= len(row) < MAX_NEW else "runs" if len(row) == MAX_NEW else "other"}
        return k | ({"differs"} if hf[i] != row else set())

    clean = lambda i: run(i)[1] > BEAM_MARGIN
    try:
        rows = pick(order, ["stops", "runs", "differs"], kinds, clean)
    except LookupError:
        rows = pick(order, ["stops", "runs", "any"], kinds, clean)
    expected = [start + official[i][0] for i in rows]
    hf_rows = [start + hf[i] for i in rows]
    extra = {"hf": hf_rows, "hf_agrees": [a == b for a, b in zip(expected, hf_rows)],
             "hf_settings": {"num_beams": BEAM, "length_penalty": 1.0, "early_stopping": hf_early_stopping,
                             "num_return_sequences": 1}}
    write(name, pool[rows], start, stops, "beam", BEAM, expected, extra)


def write(name, prefix, start, stops, strategy, width, expected, extra):
    os.makedirs(OUT, exist_ok=True)
    doc = {
        "prefix_shape": list(prefix.shape),
        "prefix": [float(v) for v in prefix.reshape(-1).tolist()],
        "start_tokens": start,
        "stop_tokens": sorted(stops),
        "max_new_tokens": MAX_NEW,
        "strategy": strategy,
        "beam_width": width,
        "expected": expected,
        **extra,
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def choose_hf_early_stopping(model):
    """The HF `early_stopping` value that agrees most often with the official ranking. Prints the agreement,
    split by whether a beam of the official search stopped before the last step."""
    pool = pool_prefixes(1000)[:120]
    rates = {}
    for stops in ({EOS}, {PERIOD}):
        official = official_beam_rows(model, pool, BEAM, stops)
        for setting in (True, False, "never"):
            hf = hf_generate(model, pool, stops, do_sample=False, num_beams=BEAM, length_penalty=1.0,
                             early_stopping=setting, num_return_sequences=1)
            r = rates.setdefault(str(setting), [0, 0, 0, 0])   # agree/total without, with an early stop
            for (row, _, early), h in zip(official, hf):
                r[2 * early] += row == h
                r[2 * early + 1] += 1
    for s, (a, n, ae, ne) in rates.items():
        print(f"  HF beam early_stopping={s}: equals official ClipCap on {a}/{n} rows where no beam stopped early, "
              f"{ae}/{ne} where one did")
    best = max(rates, key=lambda s: rates[s][0] + rates[s][2])
    return {"True": True, "False": False, "never": "never"}[best]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)   # small forwards: threads only add overhead, and results do not depend on it
    model = load_model()
    assert model.config.eos_token_id == EOS
    setting = choose_hf_early_stopping(model)
    print(f"  using early_stopping={setting}")
    greedy_case(model, "greedy_eos", 1, [], {EOS})
    greedy_case(model, "greedy_eos_start", 2, START, {EOS})
    greedy_case(model, "greedy_period", 3, [], {PERIOD})
    greedy_case(model, "greedy_period_start", 4, START, {PERIOD})
    beam_case(model, "beam_eos", 5, [], {EOS}, setting)
    beam_case(model, "beam_eos_start", 6, START, {EOS}, setting)
    beam_case(model, "beam_period", 7, [], {PERIOD}, setting)
    beam_case(model, "beam_period_start", 8, START, {PERIOD}, setting)
    print("wrote Tests/Fixtures/decoding/*.json")


if __name__ == "__main__":
    main()
