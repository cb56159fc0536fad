// The GapAnalysis target: modality-gap statistics and alignments.
