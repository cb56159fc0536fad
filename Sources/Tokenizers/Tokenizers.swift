// The Tokenizers target: CLIP BPE and GPT-2 byte-level BPE (one file per stage).
