// The Decoding target: greedy, beam and sampling decoders over GPT-2 with a KV cache.
