// The Models target.
