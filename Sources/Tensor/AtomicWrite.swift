import Foundation

/// Writes files atomically: the bytes go to a temporary file beside the target, which is then renamed
/// over it. A crash or error part-way leaves the old file (or no file), never a half-written one.
public enum AtomicWrite {
    /// Writes `data` to `url` through a temporary sibling and `rename(2)`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { tmp in try data.write(to: tmp) }
    }

    /// Calls `body` with a temporary path beside `url`, then renames it over `url`.
    /// The temporary file is removed if `body` throws.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try body(tmp)
            if rename(tmp.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "cannot rename into \(url.path): \(String(cString: strerror(errno)))"])
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }

    /// Moves the folder `staged` to `folder`, replacing what was there: the old folder is renamed aside,
    /// the staged one renamed in, then the old one removed. At every moment one complete folder exists at
    /// `folder` or beside it; a failed swap puts the old folder back.
    public static func replaceDirectory(_ folder: URL, with staged: URL) throws {
        let fm = FileManager.default
        let old = folder.deletingLastPathComponent()
            .appendingPathComponent(".\(folder.lastPathComponent).old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        func move(_ from: URL, _ to: URL) throws {
            if rename(from.path, to.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: to.path,
                    NSLocalizedDescriptionKey: "cannot rename \(from.path) to \(to.path): \(String(cString: strerror(errno)))"])
            }
        }
        let existed = fm.fileExists(atPath: folder.path)
        if existed { try move(folder, old) }
        do { try move(staged, folder) } catch {
            if existed { try? move(old, folder) }
            throw error
        }
        if existed { try? fm.removeItem(at: old) }
    }

    /// Builds a folder atomically: `fill` writes into a temporary sibling folder, which then replaces
    /// `folder` (`replaceDirectory`). If `fill` throws, the temporary folder is removed and `folder` is
    /// left as it was.
    public static func writeDirectory(at folder: URL, _ fill: (URL) throws -> Void) throws {
        let fm = FileManager.default, parent = folder.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = parent.appendingPathComponent(".\(folder.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
            try fill(tmp)
            try replaceDirectory(folder, with: tmp)
        } catch {
            try? fm.removeItem(at: tmp)
            throw error
        }
    }
}
