// Experiments: YAML manifests (DESIGN.md §9), stages and reports. Filled by issues 3 and 6.
