// Training: backward passes, AdamW and the training loop for ClipCap (DESIGN.md §5). Filled by issue 3.
