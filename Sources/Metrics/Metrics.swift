// The Metrics target: COCO caption metrics at pycocoevalcap parity.
