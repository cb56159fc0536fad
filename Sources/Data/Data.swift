// The Data target: embedding stores and dataset readers.
