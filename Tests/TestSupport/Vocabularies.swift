import Foundation

/// Where the converted vocabularies live: `$CLIPCAP_VOCAB_DIR`, else `<repo>/.cache/vocab`
/// (`scripts/fetch_vocabs.sh` writes them). Tests that need one are skipped, with this message, when absent.
public enum Vocabularies {
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["CLIPCAP_VOCAB_DIR"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".cache/vocab")
    }()

    /// `root/name` when it holds both `vocab.json` and `merges.txt`.
    public static func directory(_ name: String) -> URL? {
        let dir = root.appendingPathComponent(name)
        let fm = FileManager.default
        guard fm.fileExists(atPath: dir.appendingPathComponent("vocab.json").path),
              fm.fileExists(atPath: dir.appendingPathComponent("merges.txt").path) else { return nil }
        return dir
    }

    public static var clip: URL? { directory("clip") }
    public static var gpt2: URL? { directory("gpt2") }

    public static func missing(_ name: String) -> String {
        "no \(name) vocab.json + merges.txt under \(root.path) (set CLIPCAP_VOCAB_DIR or run scripts/fetch_vocabs.sh)"
    }
}

