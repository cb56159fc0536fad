// The Imaging target: JPEG/PNG decoding and CLIP preprocessing.
