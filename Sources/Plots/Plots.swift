// The Plots target: small SVG plots.
