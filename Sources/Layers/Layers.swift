// The Layers target.
