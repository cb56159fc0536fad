import Data
import Foundation
import Yams

extension Manifest {
    /// The manifest with every key written and every default filled in, in DESIGN.md §9's order
    /// (for `runs/NAME/manifest.resolved.yaml`). Loading it gives back an equal manifest.
    public func resolvedYAML() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sequenceStyle = .flow   // lists here hold scalars only: one line each
        encoder.options.width = -1
        return "# Resolved manifest: every key, with the defaults filled in.\n" + (try encoder.encode(self))
    }

    /// A stable SHA-256 (64 hex digits) of the resolved values at `keys` (key paths such as `train`,
    /// `model.clip`, `seed`; order and repeats do not matter), so a runner can skip a stage whose inputs did
    /// not change. Defaults count as their values: leaving a key out and writing its default hash the same.
    /// The text hashed is `path=JSON\n` per key, sorted by path, with object keys sorted and numbers in
    /// Swift's shortest round-trip spelling; it does not depend on how the YAML was written.
    public func contentHash(of keys: [String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.userInfo[ManifestNumber.asText] = true
        let tree = try JSONValue(parsing: String(decoding: try encoder.encode(self), as: UTF8.self))
        var text = ""
        for path in Set(keys).sorted() {
            var value: JSONValue? = tree
            for component in path.split(separator: ".", omittingEmptySubsequences: false) {
                value = value?[String(component)]
            }
            guard let value else { throw ManifestError.unknownHashKey(path) }
            text += "\(path)=\(value)\n"
        }
        return SHA256.hex(text.utf8)
    }
}
