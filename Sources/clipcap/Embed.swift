import ArgumentParser
import Foundation

/// `clipcap embed text|image`: CLIP embeddings into an embedding store (DESIGN.md §4).
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed captions or images with a CLIP checkpoint into an embedding store.",
        subcommands: [])
}
